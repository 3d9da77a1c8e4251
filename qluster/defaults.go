package qluster

// DefaultNullValues are the cell values that mean NULL unless a dataset says otherwise.
var defaultNullValues = []string{"", "null", "NULL", "Null", "None", "none", "NaN", "nan", "N/A", "n/a", "NA", "#N/A", "nil", "-", "--"}

// DefaultSettings returns the settings model a new dataset starts with. Each
// value is documented on the field of NewSettingsSchema in api/openapi.yaml.
func DefaultSettings() Settings {
	return Settings{
		DatetimeFormatsPerColumn:  map[string][]string{},
		XLSDateMode:               XLSDateModeMode0,
		NullValues:                append([]string(nil), defaultNullValues...),
		NullValuesPerColumn:       map[string][]string{},
		BooleanTrue:               []string{"yes", "y", "true", "t", "1"},
		BooleanFalse:              []string{"no", "n", "false", "f", "0"},
		DatetimeAllowedCharacters: "0123456789-/:.,+ TZ",
		DatetimeFormats:           []string{},
		ArrayDelimiters:           []string{"|"},
		FieldNameFullConversion:   map[string]string{},
		FieldNamePartConversion:   map[string]string{"#": "number", "%": "percent", "&": "and", "@": "at"},
		IgnoreLinesThatIncludeOnlySubsetOfCharacters: []string{"-", "=", "_", "*", "~", "+", "#", " ", ",", ";", "|", "\t"},
		IgnoreLinesThatIncludeOnlySubsetOfWords:      []string{"total", "totals", "subtotal", "grand total", "sum", "end of report"},
		IgnoreMatchers:                               map[string]string{},
		IgnoreColumnNames:                            []string{},
		UseTextInsteadOfString:                       true,
		QuarantineRowIfRowLevelIssue:                 true,
		FieldsToExpand:                               []string{},
		InferDatetimeForColumns:                      []string{},
	}
}

// DefaultBackupKeyFormat is where a raw file lands in backup storage unless the dataset says otherwise.
const DefaultBackupKeyFormat = "{dataset_id}/{data_source_model_id}/{yyyy}/{mm}/{dd}/{stored_item_id}-{file_name}"

// NewDataset returns a dataset with every default filled in, as GET
// /api/datasets/new shows it: name, table and destination are left to the user.
func NewDataset() Dataset {
	s := DefaultSettings()
	return Dataset{
		DatabaseName:                       "qluster",
		SchemaName:                         "public",
		MigrationPolicy:                    MigrationPolicyApplyAsap,
		State:                              DatasetStateActive,
		CompressionTypeOfBackupData:        CompressionTypeGzip,
		BackupKeyFormat:                    DefaultBackupKeyFormat,
		DataLoadingProcess:                 DataLoadingProcessSnapshot,
		MaxRetryCount:                      3,
		StrictlyOneDatetimeFormatInAColumn: true,
		DisabledFields:                     []string{},
		MaxTriesToFixJSON:                  3,
		SettingsModel:                      &s,
	}
}

// NewDataSource returns a data source of dataset with every default filled
// in, as GET /api/datasets/{id}/data-sources/new shows it. Overrides start
// unset: the dataset's settings apply.
func NewDataSource(ds *Dataset) DataSource {
	d := DataSource{
		DataSourceType:              DataSourceTypeStream,
		State:                       DataSourceStateActive,
		ConnectionTimeout:           30,
		ChunkSizeToReadForHeader:    50,
		S3DefaultBufferSize:         8 << 20,
		S3RegionName:                "us-east-1",
		SFTPPort:                    22,
		IdentifyHeaderByColumnNames: []string{},
		RawHeaders:                  []string{},
		IgnoreColumnIDs:             []string{},
	}
	if ds != nil {
		d.DatasetID = &ds.ID
		d.DatasetName = ds.Name
		if ds.SettingsModel != nil {
			d.SettingsModelID = &ds.SettingsModel.ID
		}
	}
	return d
}

// NewDestination returns a destination with the defaults of GET /api/destinations/new.
func NewDestination() DestinationModel {
	return DestinationModel{
		DestinationType: DestinationTypePostgresql,
		Host:            "127.0.0.1",
		Port:            "5432",
		User:            "postgres",
		ConnectTimeout:  10,
	}
}

// NewBackupSettings returns backup settings with the defaults of GET /api/backup-settings/new.
func NewBackupSettings() BackupSettings {
	return BackupSettings{
		BackupType:                BackupTypeLocal,
		BackupS3RegionName:        "us-east-1",
		BackupS3DefaultBufferSize: 8 << 20,
	}
}
