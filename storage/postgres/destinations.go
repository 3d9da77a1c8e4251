package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/openqluster/qluster-go/qluster"
)

// CreateDestination stores a new destination, its password sealed, and
// returns it as stored. A name already taken is a *qluster.ConflictError.
func (s *Store) CreateDestination(ctx context.Context, d *qluster.DestinationModel, by *uuid.UUID) (*qluster.DestinationModel, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		id, err = s.insertDoc(ctx, tx, tDestinations, d, nil, by)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.GetDestination(ctx, id)
}

// GetDestination reads a destination, its password opened.
func (s *Store) GetDestination(ctx context.Context, id int64) (*qluster.DestinationModel, error) {
	var d qluster.DestinationModel
	if err := s.getDoc(ctx, s.db, tDestinations, id, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// ListDestinations reads one page of destinations.
func (s *Store) ListDestinations(ctx context.Context, p qluster.ListParams) (qluster.Page[qluster.DestinationModel], error) {
	return listDocs[qluster.DestinationModel](ctx, s, tDestinations, nil, p)
}

// UpdateDestination changes destination id in place with mutate, records
// the change in history and returns the destination as stored. Destinations
// carry no version_id in the API, so version is usually nil (any version); a
// non-nil version that is not the stored one is a version conflict. A
// password left as qluster.Obfuscated keeps the stored one.
func (s *Store) UpdateDestination(ctx context.Context, id int64, version *int64, by *uuid.UUID, mutate func(d *qluster.DestinationModel) error) (*qluster.DestinationModel, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := updateDoc(ctx, s, tx, tDestinations, id, version, by, mutate)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.GetDestination(ctx, id)
}

// DestinationHistory lists the changes of a destination, oldest first. The
// documents hold the password as stored (sealed).
func (s *Store) DestinationHistory(ctx context.Context, id int64) ([]qluster.HistoryRecord, error) {
	if _, err := s.GetDestination(ctx, id); err != nil {
		return nil, err
	}
	return s.History(ctx, tDestinations.name, fmt.Sprint(id))
}
