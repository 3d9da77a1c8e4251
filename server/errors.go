package server

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/openqluster/qluster-go/qluster"
)

type errorBody struct {
	Detail string `json:"detail"`
}

type validationIssue struct {
	Loc  []string `json:"loc"`
	Msg  string   `json:"msg"`
	Type string   `json:"type"`
}

type validationBody struct {
	Detail []validationIssue `json:"detail"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) //nolint:errcheck
}

// writeError answers err with the status its kind calls for and the
// {"detail": ...} body of the contract. Unknown errors are logged and answered
// 500 without their text.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var ve *qluster.ValidationError
	switch {
	case errors.As(err, &ve):
		body := validationBody{Detail: make([]validationIssue, 0, len(ve.Fields))}
		for _, f := range ve.Fields {
			body.Detail = append(body.Detail, validationIssue{Loc: f.Loc, Msg: f.Msg, Type: f.Type})
		}
		writeJSON(w, http.StatusUnprocessableEntity, body)
	case errors.Is(err, qluster.ErrNotFound):
		writeJSON(w, http.StatusNotFound, errorBody{err.Error()})
	case errors.Is(err, qluster.ErrConflict), errors.Is(err, qluster.ErrVersionConflict):
		writeJSON(w, http.StatusConflict, errorBody{err.Error()})
	case errors.Is(err, qluster.ErrUnauthenticated), errors.Is(err, qluster.ErrAccountLocked):
		w.Header().Set("WWW-Authenticate", "Bearer")
		writeJSON(w, http.StatusUnauthorized, errorBody{err.Error()})
	case errors.Is(err, qluster.ErrForbidden):
		writeJSON(w, http.StatusForbidden, errorBody{err.Error()})
	case errors.Is(err, qluster.ErrNotImplemented):
		writeJSON(w, http.StatusNotImplemented, errorBody{err.Error()})
	default:
		id := requestID(r)
		log.ErrorContext(r.Context(), "request failed", "request_id", id, "method", r.Method, "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusInternalServerError, errorBody{"internal error (request id " + id + "); the server log has the cause"})
	}
}
