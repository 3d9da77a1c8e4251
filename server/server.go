package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/go-playground/validator/v10"

	"github.com/openqluster/qluster-go/api"
	"github.com/openqluster/qluster-go/internal/auth"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// Options configures a Server.
type Options struct {
	// Store is the metadata store. Required.
	Store *postgres.Store
	// TokenKey signs bearer tokens. Required; at least 32 bytes.
	TokenKey []byte
	// TokenTTL is how long a bearer token is valid. Default 24h.
	TokenTTL time.Duration
	// Logger receives the server's log. Default slog.Default().
	Logger *slog.Logger
	// Engine runs files, training, migrations and ingestion. Without it the
	// operations that need it answer 501.
	Engine *qluster.Engine
	// PublicURL is the server's address as clients reach it (e.g.
	// "http://127.0.0.1:8080"), for the URLs it hands out.
	PublicURL string
	// Test holds knobs for tests.
	Test TestOptions
}

// TestOptions are knobs for tests only.
type TestOptions struct {
	// Now replaces the clock. Default time.Now.
	Now func() time.Time
	// CheckDestination replaces the connection test of a destination on save.
	CheckDestination func(ctx context.Context, d *qluster.DestinationModel) error
}

// Server implements the generated StrictServerInterface: every operation of
// the contract (a new one fails the build until it is written).
type Server struct {
	store    *postgres.Store
	tokens   *auth.Tokens
	log      *slog.Logger
	now      func() time.Time
	validate *validator.Validate
	checkDst func(ctx context.Context, d *qluster.DestinationModel) error
	router   routers.Router
	docsPage []byte
	// engine runs the work behind files, training and ingestion (nil: 501).
	engine *qluster.Engine
	// publicURL prefixes the URLs the server hands out.
	publicURL string
	// uploadKey signs upload URLs.
	uploadKey []byte
	// schemaOpts tune how values are checked against the contract.
	schemaOpts []openapi3.SchemaValidationOption
}

var _ StrictServerInterface = (*Server)(nil)

// New makes a Server from opts.
func New(opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, errors.New("server.New: Options.Store is required")
	}
	if len(opts.TokenKey) < 32 {
		return nil, errors.New("server.New: Options.TokenKey must be at least 32 bytes")
	}
	if opts.TokenTTL == 0 {
		opts.TokenTTL = 24 * time.Hour
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Test.Now == nil {
		opts.Test.Now = time.Now
	}
	doc, err := loadContract()
	if err != nil {
		return nil, err
	}
	page, err := renderDocs(doc)
	if err != nil {
		return nil, fmt.Errorf("server.New: render the reference page: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("server.New: route the contract: %w", err)
	}
	tokens, err := auth.NewTokens(opts.TokenKey, opts.TokenTTL)
	if err != nil {
		return nil, fmt.Errorf("server.New: %w", err)
	}
	s := &Server{
		store:     opts.Store,
		tokens:    tokens,
		log:       opts.Logger,
		now:       opts.Test.Now,
		validate:  validator.New(validator.WithRequiredStructEnabled()),
		checkDst:  opts.Test.CheckDestination,
		router:    router,
		docsPage:  page,
		engine:    opts.Engine,
		publicURL: strings.TrimSuffix(opts.PublicURL, "/"),
		uploadKey: append([]byte("upload:"), opts.TokenKey...),
	}
	// Formats are checked; emails by the same rule everywhere: the validator's.
	s.schemaOpts = []openapi3.SchemaValidationOption{
		openapi3.EnableFormatValidation(),
		openapi3.WithStringFormatValidator("email", openapi3.NewCallbackValidator(func(v string) error {
			if s.validate.Var(v, "email") != nil {
				return fmt.Errorf("%q is not a valid email address", v)
			}
			return nil
		})),
	}
	if err := s.validate.RegisterValidation("pgident", func(fl validator.FieldLevel) bool {
		return pgIdent.MatchString(fl.Field().String())
	}); err != nil {
		return nil, err
	}
	if s.checkDst == nil {
		s.checkDst = checkDestination
	}
	return s, nil
}

// pgIdent is a PostgreSQL identifier we create without surprises.
var pgIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// loadContract parses and checks the embedded OpenAPI document.
func loadContract() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPIYAML)
	if err != nil {
		return nil, fmt.Errorf("server: load api/openapi.yaml: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("server: api/openapi.yaml is invalid: %w", err)
	}
	doc.Servers = nil // match paths on any host
	return doc, nil
}

// Handler returns the HTTP handler of the whole API.
func (s *Server) Handler() http.Handler {
	opts := StrictHTTPServerOptions{
		RequestErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			writeError(w, r, s.log, (&qluster.ValidationError{}).Add([]string{"body"}, "value_error", "%v", err))
		},
		ResponseErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			writeError(w, r, s.log, err)
		},
	}
	strict := NewStrictHandlerWithOptions(s, nil, opts)
	mux := http.NewServeMux()
	h := HandlerWithOptions(strict, StdHTTPServerOptions{
		BaseRouter: mux,
		ErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			writeError(w, r, s.log, (&qluster.ValidationError{}).Add([]string{"query"}, "value_error", "%v", err))
		},
	})
	return s.gate(h)
}

type ctxKey int

const (
	principalKey ctxKey = iota
	requestIDKey
)

// Principal is the signed-in user acting in a request.
type Principal struct {
	User qluster.User
}

// principal returns the acting user of ctx, or nil for public operations.
func principal(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey).(*Principal)
	return p
}

func requestID(r *http.Request) string {
	if id, ok := r.Context().Value(requestIDKey).(string); ok {
		return id
	}
	return "-"
}

func newRequestID() string {
	var b [8]byte
	rand.Read(b[:]) //nolint:errcheck
	return hex.EncodeToString(b[:])
}

// gate routes each request by the contract and, before the handler runs,
// authenticates it (401), checks the role (403) and validates parameters and
// body against the contract (422).
func (s *Server) gate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), requestIDKey, newRequestID())
		r = r.WithContext(ctx)
		route, pathParams, err := s.router.FindRoute(r)
		if err != nil {
			if errors.Is(err, routers.ErrMethodNotAllowed) {
				writeJSON(w, http.StatusMethodNotAllowed, errorBody{"method not allowed"})
				return
			}
			writeJSON(w, http.StatusNotFound, errorBody{"no such operation: " + r.Method + " " + r.URL.Path})
			return
		}
		op := route.Operation.OperationID
		if accessOf(op, r.Method) != accessPublic {
			p, err := s.authenticate(r)
			if err != nil {
				writeError(w, r, s.log, err)
				return
			}
			if !allowed(p.User.UserType, op, r.Method) {
				writeError(w, r, s.log, fmt.Errorf("%w: a %s user may not call %s", qluster.ErrForbidden, p.User.UserType, op))
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), principalKey, p))
		}
		if !streamedBodies[op] && r.Body != nil && strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			b, err := io.ReadAll(io.LimitReader(r.Body, maxJSONBody+1))
			if err != nil {
				writeError(w, r, s.log, fmt.Errorf("read body: %w", err))
				return
			}
			if len(b) > maxJSONBody {
				writeError(w, r, s.log, qluster.Invalid("", "too_large", "the body is larger than %d bytes", maxJSONBody))
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(b))
			r = r.WithContext(context.WithValue(r.Context(), rawBodyKey, b))
		}
		if err := s.validateRequest(r, route, pathParams); err != nil {
			writeError(w, r, s.log, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authenticate checks the bearer token and loads its user, who must still be active.
func (s *Server) authenticate(r *http.Request) (*Principal, error) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		return nil, fmt.Errorf("%w: send Authorization: Bearer <token>; get a token from POST /api/token", qluster.ErrUnauthenticated)
	}
	claims, err := s.tokens.Verify(tok, s.now())
	if err != nil {
		return nil, err
	}
	u, err := s.store.GetUser(r.Context(), claims.UserID)
	if errors.Is(err, qluster.ErrNotFound) {
		return nil, fmt.Errorf("%w: the token's user no longer exists", qluster.ErrUnauthenticated)
	}
	if err != nil {
		return nil, err
	}
	if !u.IsActive {
		return nil, fmt.Errorf("%w: the account is deactivated", qluster.ErrUnauthenticated)
	}
	return &Principal{User: *u}, nil
}
