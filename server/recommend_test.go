package server_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/client"
)

// TestUnexpectedFieldRecommendations: a file with a field the table does
// not have waits behind an unexpected_field_name alert that recommends the
// closest existing columns, by name and by values.
func TestUnexpectedFieldRecommendations(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ds, src := b.trainedDataset("renamed", client.ApplyAsap)
	b.upload(b.admin, src.Id, "a.csv", "order_id,amount,region\n1,2.50,EU\n2,3.75,US\n")
	b.trainingDone(ds.Id)
	b.ingested(ds.Id, 1)
	b.upload(b.admin, src.Id, "b.csv", "order_id,order_amount,region\n3,4.25,EU\n4,5.00,US\n")
	jobs := b.ingested(ds.Id, 2)
	var blocked *client.IngestionJob
	for i, j := range jobs {
		if *j.State == client.IngestionJobStateBlocked {
			blocked = &jobs[i]
		}
	}
	require.NotNil(t, blocked, "the file with a new field waits")
	a, err := b.admin.GetAlertWithResponse(b.ctx, *blocked.AlertItemId)
	require.NoError(t, err)
	require.Equal(t, client.AlertTypeUnexpectedFieldName, *a.JSON200.AlertType)
	recs := (*a.JSON200.NewFieldsRecommendations)["order_amount"].([]any)
	require.NotEmpty(t, recs)
	best := recs[0].(map[string]any)
	require.Equal(t, "amount", best["field"], "%v", recs)
	require.EqualValues(t, 1, best["values_fit"])
}
