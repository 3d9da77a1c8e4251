package postgres_test

import (
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/qluster"
)

func newDestination(name string) *qluster.DestinationModel {
	d := qluster.NewDestination()
	d.Name, d.DatabaseName, d.Password = name, "warehouse", "pg-password"
	return &d
}

func TestDestinations(t *testing.T) {
	t.Parallel()
	s := setupStore(t)
	ctx := t.Context()
	alice := uuid.New()

	d, err := s.CreateDestination(ctx, newDestination("main"), &alice)
	require.NoError(t, err)
	require.NotZero(t, d.ID)
	require.Equal(t, "pg-password", d.Password)
	require.Equal(t, qluster.DestinationTypePostgresql, d.DestinationType)
	require.False(t, d.CreatedAt.IsZero())
	requireSealed(t, storedDoc(t, s, "destinations", d.ID), "password", "pg-password")

	got, err := s.GetDestination(ctx, d.ID)
	require.NoError(t, err)
	require.Equal(t, d, got)

	_, err = s.CreateDestination(ctx, newDestination("main"), nil)
	require.ErrorIs(t, err, qluster.ErrConflict, "names are unique")

	// PATCH passes no version: the last writer wins.
	up, err := s.UpdateDestination(ctx, d.ID, nil, &alice, func(d *qluster.DestinationModel) error {
		d.Host, d.Password = "db.internal", qluster.Obfuscated
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, "db.internal", up.Host)
	require.Equal(t, "pg-password", up.Password, "the obfuscated placeholder keeps the stored password")
	require.False(t, up.UpdatedAt.Before(d.UpdatedAt))

	up, err = s.UpdateDestination(ctx, d.ID, nil, nil, func(d *qluster.DestinationModel) error {
		d.Password = "rotated"
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, "rotated", up.Password)
	requireSealed(t, storedDoc(t, s, "destinations", d.ID), "password", "rotated")

	_, err = s.UpdateDestination(ctx, d.ID, ptr(int64(1)), nil, func(*qluster.DestinationModel) error { return nil })
	require.ErrorIs(t, err, qluster.ErrVersionConflict, "a version, when named, is checked")

	other, err := s.CreateDestination(ctx, newDestination("other"), nil)
	require.NoError(t, err)
	_, err = s.UpdateDestination(ctx, other.ID, nil, nil, func(d *qluster.DestinationModel) error {
		d.Name = "main"
		return nil
	})
	require.ErrorIs(t, err, qluster.ErrConflict)

	_, err = s.GetDestination(ctx, 424242)
	require.ErrorIs(t, err, qluster.ErrNotFound)
	_, err = s.UpdateDestination(ctx, 424242, nil, nil, func(*qluster.DestinationModel) error { return nil })
	require.ErrorIs(t, err, qluster.ErrNotFound)
	_, err = s.DestinationHistory(ctx, 424242)
	require.ErrorIs(t, err, qluster.ErrNotFound)

	h, err := s.DestinationHistory(ctx, d.ID)
	require.NoError(t, err)
	require.Len(t, h, 3)
	require.Equal(t, []string{"insert", "update", "update"}, []string{h[0].Operation, h[1].Operation, h[2].Operation})
	require.Equal(t, []int64{1, 2, 3}, []int64{h[0].VersionID, h[1].VersionID, h[2].VersionID})
	require.Equal(t, alice, *h[1].WhodunitID)
	require.Nil(t, h[2].WhodunitID)
	require.NotContains(t, string(h[2].After), "rotated")
}

func TestListDestinations(t *testing.T) {
	t.Parallel()
	s := setupStore(t)
	var ids []int64
	for i := range 5 {
		d, err := s.CreateDestination(t.Context(), newDestination(fmt.Sprint("dst ", i)), nil)
		require.NoError(t, err)
		ids = append(ids, d.ID)
	}
	list := func(p qluster.ListParams) (qluster.Page[qluster.DestinationModel], error) {
		return s.ListDestinations(t.Context(), p)
	}
	id := func(d qluster.DestinationModel) int64 { return d.ID }
	for _, limit := range []int{1, 2, 5, 6} {
		require.Equal(t, ids, walk(t, limit, false, list, id))
		require.Equal(t, reversed(ids), walk(t, limit, true, list, id))
	}
	page, err := list(qluster.ListParams{Limit: 2, Start: &ids[2]})
	require.NoError(t, err)
	require.Equal(t, []int64{ids[2], ids[3]}, []int64{page.Items[0].ID, page.Items[1].ID})
	require.Equal(t, qluster.Cursor{Start: ids[0], End: ids[1]}, *page.Previous)
	require.Equal(t, qluster.Cursor{Start: ids[4], End: ids[4]}, *page.Next)
	require.Equal(t, "pg-password", page.Items[0].Password)
}
