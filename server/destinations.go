package server

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// destinationReadOnly are fields a client may send but never sets.
var destinationReadOnly = []string{"id", "version_id", "created_at", "updated_at"}

// GetDestinations answers a page of destinations, passwords obfuscated.
func (s *Server) GetDestinations(ctx context.Context, req GetDestinationsRequestObject) (GetDestinationsResponseObject, error) {
	p := req.Params
	page, err := s.store.ListDestinations(ctx, listParams(p.Start, p.End, p.Limit, p.Reverse))
	if err != nil {
		return nil, err
	}
	return toList[GetDestinations200JSONResponse](page, nil, "Destinations", obfuscate[qluster.DestinationModel])
}

// GetNewDestination answers a destination filled with the defaults a POST would use.
func (s *Server) GetNewDestination(ctx context.Context, _ GetNewDestinationRequestObject) (GetNewDestinationResponseObject, error) {
	d := qluster.NewDestination()
	return convert[GetNewDestination200JSONResponse](&d)
}

// GetDestination answers one destination, its password obfuscated.
func (s *Server) GetDestination(ctx context.Context, req GetDestinationRequestObject) (GetDestinationResponseObject, error) {
	d, err := s.store.GetDestination(ctx, int64(req.DestinationId))
	if err != nil {
		return nil, err
	}
	obfuscate(d)
	return convert[GetDestination200JSONResponse](d)
}

// PostDestinationModel creates a destination from the defaults overlaid with
// the fields sent, once a connection to it succeeds.
func (s *Server) PostDestinationModel(ctx context.Context, _ PostDestinationModelRequestObject) (PostDestinationModelResponseObject, error) {
	d := qluster.NewDestination()
	raw, err := withoutObfuscated(rawBody(ctx), postgres.SecretFields(&d))
	if err != nil {
		return nil, err
	}
	if err := overlay(&d, raw, nil, destinationReadOnly...); err != nil {
		return nil, err
	}
	if err := s.checkDestinationFields(&d); err != nil {
		return nil, err
	}
	if err := s.checkDst(ctx, &d); err != nil {
		return nil, err
	}
	out, err := s.store.CreateDestination(ctx, &d, actor(ctx))
	if err != nil {
		return nil, err
	}
	obfuscate(out)
	return convert[PostDestinationModel200JSONResponse](out)
}

// PatchDestinationModel changes the fields sent of a destination, once a
// connection with the result succeeds. Destinations carry no version_id: the
// last writer wins. A password sent back as read (obfuscated) is kept.
func (s *Server) PatchDestinationModel(ctx context.Context, req PatchDestinationModelRequestObject) (PatchDestinationModelResponseObject, error) {
	patch, err := withoutObfuscated(rawBody(ctx), postgres.SecretFields(&qluster.DestinationModel{}))
	if err != nil {
		return nil, err
	}
	d, err := s.store.UpdateDestination(ctx, int64(req.Body.Id), nil, actor(ctx), func(d *qluster.DestinationModel) error {
		if err := overlay(d, patch, nil, append(destinationReadOnly, "destination_type")...); err != nil {
			return err
		}
		if err := s.checkDestinationFields(d); err != nil {
			return err
		}
		return s.checkDst(ctx, d)
	})
	if err != nil {
		return nil, err
	}
	obfuscate(d)
	return convert[PatchDestinationModel200JSONResponse](d)
}

// checkDestinationFields validates a destination about to be written, naming
// each bad field and how to fix it.
func (s *Server) checkDestinationFields(d *qluster.DestinationModel) error {
	v := &qluster.ValidationError{}
	if err := s.checkStruct(d); err != nil {
		var ve *qluster.ValidationError
		if !errors.As(err, &ve) {
			return err
		}
		v.Fields = append(v.Fields, ve.Fields...)
	}
	if d.DestinationType != qluster.DestinationTypePostgresql {
		v.Add([]string{"body", "destination_type"}, "enum", "%q is not a destination type: use postgresql", d.DestinationType)
	}
	if d.Host == "" {
		v.Add([]string{"body", "host"}, "missing", "is required: the host name or IP address of the PostgreSQL server")
	}
	if n, err := strconv.Atoi(d.Port); err != nil || n < 1 || n > 65535 {
		v.Add([]string{"body", "port"}, "value_error", "%q is not a TCP port: use a number between 1 and 65535, usually 5432", d.Port)
	}
	if d.User == "" {
		v.Add([]string{"body", "user"}, "missing", "is required: the PostgreSQL role to connect as")
	}
	if d.ConnectTimeout < 1 {
		v.Add([]string{"body", "connect_timeout"}, "value_error", "must be at least 1 (seconds), got %d", d.ConnectTimeout)
	}
	return v.Err()
}

// checkDestination connects to the destination's PostgreSQL server with its
// settings and runs SELECT 1. A failure is a *qluster.ValidationError that
// names the likely field (host by default; user, password or database_name
// when the server says so) and the server's reason.
func checkDestination(ctx context.Context, d *qluster.DestinationModel) error {
	if d.DestinationType != qluster.DestinationTypePostgresql {
		return qluster.Invalid("destination_type", "enum", "%q is not a destination type: use postgresql", d.DestinationType)
	}
	timeout := time.Duration(d.ConnectTimeout) * time.Second
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(d.User, d.Password),
		Host:     net.JoinHostPort(d.Host, d.Port),
		Path:     "/" + d.DatabaseName,
		RawQuery: url.Values{"connect_timeout": {strconv.FormatInt(int64(timeout/time.Second), 10)}}.Encode(),
	}
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		return qluster.Invalid("host", "value_error", "the connection settings of postgres at %s:%s do not parse: %v; check host and port", d.Host, d.Port, err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout+2*time.Second)
	defer cancel()
	failed := func(err error) error {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return err // the caller went away
		}
		field := "host"
		var pg *pgconn.PgError
		if errors.As(err, &pg) {
			switch pg.Code {
			case "28P01":
				field = "password"
			case "28000":
				field = "user"
			case "3D000":
				field = "database_name"
			}
		}
		return qluster.Invalid(field, "connection_failed",
			"could not connect to postgres at %s:%s as %s: %v; check host, port, user, password and that the database exists",
			d.Host, d.Port, d.User, err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return failed(err)
	}
	defer conn.Close(context.WithoutCancel(ctx)) //nolint:errcheck
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return failed(err)
	}
	return nil
}
