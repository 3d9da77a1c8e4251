package pgdest

import (
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/openqluster/qluster-go/qluster"
)

// ModelFromURL describes the PostgreSQL database at url (a postgres:// URL
// or a key=value DSN) as a destination named name.
func ModelFromURL(name, url string) (*qluster.DestinationModel, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pgdest.ModelFromURL: %w", err)
	}
	d := qluster.NewDestination()
	d.Name, d.Host, d.Port, d.User, d.Password, d.DatabaseName = name, cfg.Host, strconv.Itoa(int(cfg.Port)), cfg.User, cfg.Password, cfg.Database
	if cfg.ConnectTimeout > 0 {
		d.ConnectTimeout = int64(cfg.ConnectTimeout.Seconds())
	}
	return &d, nil
}
