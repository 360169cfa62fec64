package function

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
)

// maxTags is the most tags a Lambda resource may carry.
const maxTags = 50

// FunctionTags returns the tags of a function. A function from the config file has
// none; an unknown one gives an error matching ErrFunctionNotFound.
func (r *Registry) FunctionTags(ctx context.Context, name string) (map[string]string, error) {
	if r.configured[name] != nil {
		return map[string]string{}, nil
	}
	sf, err := r.store.GetFunction(ctx, name)
	if errors.Is(err, ErrNotStored) {
		return nil, fmt.Errorf("%w: %s", ErrFunctionNotFound, name)
	}
	if err != nil {
		return nil, err
	}
	c, err := decodeConfig(sf)
	if err != nil {
		return nil, err
	}
	return c.Tags, nil
}

// TagFunction adds set to a function's tags and removes the keys in remove. Tags do
// not change what runs: warm environments stay, and the revision is kept. A function
// of the config file gives ErrConfiguredFunction, an unknown one a *NotFoundError,
// too many tags an *InvalidParameterError.
func (r *Registry) TagFunction(ctx context.Context, name string, set map[string]string, remove []string) error {
	return r.editConfig(ctx, name, func(c *storedConfig) error {
		tags := maps.Clone(c.Tags)
		if tags == nil {
			tags = map[string]string{}
		}
		maps.Copy(tags, set)
		for _, k := range remove {
			delete(tags, k)
		}
		if len(tags) > maxTags {
			return invalidParameter("Tags", "Invalid parameters: a resource takes at most %d tags, got %d.", maxTags, len(tags))
		}
		c.Tags = tags
		return nil
	})
}

// editConfig changes an API function's config in place: edit gets the stored
// config under loadMu, and what it leaves is written back as it is, keeping the
// revision and the warm environments (unlike save). A function of the config
// file gives ErrConfiguredFunction, an unknown one a *NotFoundError.
func (r *Registry) editConfig(ctx context.Context, name string, edit func(*storedConfig) error) error {
	sf, c, err := r.changeable(ctx, name, "")
	if err != nil {
		return err
	}
	defer r.loadMu.Unlock()
	if err := edit(c); err != nil {
		return err
	}
	cfg, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encoding function %s: %w", sf.Name, err)
	}
	sf.Config = cfg
	if err := r.store.PutFunction(ctx, sf); err != nil {
		return fmt.Errorf("storing function %s: %w", sf.Name, err)
	}
	return nil
}
