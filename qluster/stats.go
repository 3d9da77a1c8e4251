package qluster

// MenuStats are the counts a client's menu shows beside each section.
type MenuStats struct {
	// DatasetsCount counts the datasets not deleted.
	DatasetsCount int64 `json:"datasets_count"`
	// DataSourceModelsCount counts the data sources not deleted.
	DataSourceModelsCount int64 `json:"data_source_models_count"`
	// DestinationsCount counts the destinations.
	DestinationsCount int64 `json:"destinations_count"`
	// ErrorsCount counts the fatal errors not deleted.
	ErrorsCount int64 `json:"errors_count"`
	// UnresolvedAlertsCount counts the alerts neither resolved nor muted.
	UnresolvedAlertsCount int64 `json:"unresolved_alerts_count"`
}

// DatasetStats are the figures of one dataset.
type DatasetStats struct {
	// BadRowsCount counts the rows of the dataset's files that went to quarantine.
	BadRowsCount int64 `json:"bad_rows_count"`
}
