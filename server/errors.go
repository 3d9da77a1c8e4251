package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/openqluster/qluster-go/qluster"
)

// laterParts says which part of the tracker brings each operation that is not
// built yet, so a 501 tells the caller when to expect it.
var laterParts = map[string]string{
	"Alert": "alerts and their resolve actions (issue 6)", "Resolve": "alerts and their resolve actions (issue 6)",
	"Data": "ingestion (issue 5)", "Ingestion": "ingestion (issue 5)", "BadRows": "ingestion (issue 5)",
	"LineSignature": "alerts and their resolve actions (issue 6)", "ValidationInfo": "validation rules (issue 6)",
	"ValidationModel": "validation rules (issue 6)", "FieldsModification": "alerts and their resolve actions (issue 6)",
	"Training": "training and migrations (issue 4)", "Migration": "training and migrations (issue 4)",
	"AnalysisTask": "training and migrations (issue 4)", "Queue": "the queue and workers (issue 4)",
	"StoredItem": "file uploads (issue 4)", "Upload": "file uploads (issue 4)", "Sensor": "sources and schedules (issue 7)",
}

// notYet is the error of an operation that a later part of the product brings.
func notYet(op string) error {
	part := "a later part of the product"
	best := 0
	for k, v := range laterParts {
		if strings.Contains(op, k) && len(k) > best {
			part, best = v, len(k)
		}
	}
	return fmt.Errorf("%s: %w: it comes with %s", op, qluster.ErrNotImplemented, part)
}

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
