package function

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// memFunctions keeps API functions in memory when the registry has no store.
type memFunctions struct {
	mu       sync.Mutex
	m        map[string]*Stored
	versions map[string]map[int]*Stored
	aliases  map[string]map[string]*StoredAlias
	policies map[string][]byte // by function + ":" + qualifier
}

func newMemFunctions() *memFunctions {
	return &memFunctions{m: make(map[string]*Stored), versions: make(map[string]map[int]*Stored),
		aliases: make(map[string]map[string]*StoredAlias), policies: make(map[string][]byte)}
}

func (s *memFunctions) PutFunction(_ context.Context, f *Stored) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *f
	s.m[f.Name] = &c
	return nil
}

func (s *memFunctions) GetFunction(_ context.Context, name string) (*Stored, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.m[name]
	if !ok {
		return nil, ErrNotStored
	}
	c := *f
	return &c, nil
}

func (s *memFunctions) ListFunctions(context.Context) ([]*Stored, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Stored, 0, len(s.m))
	for _, f := range s.m {
		c := *f
		out = append(out, &c)
	}
	slices.SortFunc(out, func(a, b *Stored) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (s *memFunctions) DeleteFunction(_ context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[name]; !ok {
		return ErrNotStored
	}
	delete(s.m, name)
	delete(s.versions, name)
	delete(s.aliases, name)
	for k := range s.policies {
		if strings.HasPrefix(k, name+":") {
			delete(s.policies, k)
		}
	}
	return nil
}

func (s *memFunctions) PutVersion(_ context.Context, f *Stored) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	vs := s.versions[f.Name]
	if vs == nil {
		vs = make(map[int]*Stored)
		s.versions[f.Name] = vs
	}
	if vs[f.Version] != nil {
		return fmt.Errorf("function %s version %d: %w", f.Name, f.Version, ErrVersionExists)
	}
	c := *f
	vs[f.Version] = &c
	return nil
}

func (s *memFunctions) GetVersion(_ context.Context, name string, version int) (*Stored, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.versions[name][version]
	if f == nil {
		return nil, ErrNotStored
	}
	c := *f
	return &c, nil
}

func (s *memFunctions) ListVersions(_ context.Context, name string) ([]*Stored, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Stored
	for _, f := range s.versions[name] {
		c := *f
		c.Code = nil
		out = append(out, &c)
	}
	slices.SortFunc(out, func(a, b *Stored) int { return a.Version - b.Version })
	return out, nil
}

func (s *memFunctions) DeleteVersion(_ context.Context, name string, version int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.versions[name][version] == nil {
		return ErrNotStored
	}
	delete(s.versions[name], version)
	delete(s.policies, fmt.Sprintf("%s:%d", name, version))
	return nil
}

func (s *memFunctions) PutAlias(_ context.Context, a *StoredAlias) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	as := s.aliases[a.Function]
	if as == nil {
		as = make(map[string]*StoredAlias)
		s.aliases[a.Function] = as
	}
	c := *a
	as[a.Name] = &c
	return nil
}

func (s *memFunctions) GetAlias(_ context.Context, fn, name string) (*StoredAlias, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.aliases[fn][name]
	if a == nil {
		return nil, ErrNotStored
	}
	c := *a
	return &c, nil
}

func (s *memFunctions) ListAliases(_ context.Context, fn string) ([]*StoredAlias, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*StoredAlias
	for _, a := range s.aliases[fn] {
		c := *a
		out = append(out, &c)
	}
	slices.SortFunc(out, func(a, b *StoredAlias) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (s *memFunctions) DeleteAlias(_ context.Context, fn, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.aliases[fn][name] == nil {
		return ErrNotStored
	}
	delete(s.aliases[fn], name)
	delete(s.policies, fn+":"+name)
	return nil
}

func (s *memFunctions) PutPolicy(_ context.Context, fn, qualifier string, policy []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(policy) == 0 {
		delete(s.policies, fn+":"+qualifier)
	} else {
		s.policies[fn+":"+qualifier] = slices.Clone(policy)
	}
	return nil
}

func (s *memFunctions) GetPolicy(_ context.Context, fn, qualifier string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.policies[fn+":"+qualifier]
	if !ok {
		return nil, ErrNotStored
	}
	return slices.Clone(p), nil
}
