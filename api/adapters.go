package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/mqtrigger/mqtrigger/awserr"
	"github.com/mqtrigger/mqtrigger/store"
)

// Secrets is the Secrets Manager implementation the API serves.
type Secrets interface{}

// isFunctionNotFound tells a missing function from a failed lookup.
func isFunctionNotFound(err error) bool {
	return err != nil && strings.Contains(err.Error(), "function not found")
}

// secretExists tells whether a BASIC_AUTH secret can be read.
func (a *API) secretExists(ctx context.Context, arn string) (bool, error) {
	_, err := a.opts.Store.GetSecret(ctx, arn)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (a *API) secretsManager(w http.ResponseWriter, r *http.Request, op string, body []byte) *awserr.Error {
	return awserr.New(http.StatusBadRequest, "UnknownOperationException", "")
}
