package server

import (
	"context"
	"fmt"
	"time"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/sources/dropboxsource"
	"github.com/openqluster/qluster-go/sources/gcssource"
	"github.com/openqluster/qluster-go/sources/s3source"
	"github.com/openqluster/qluster-go/sources/sftpsource"
	"github.com/openqluster/qluster-go/sources/streamsource"
)

// openSource connects to the source of a data source, by its type. custom
// sources come from the embedding program (EngineOptions.CustomSource).
func openSource(o EngineOptions) func(ctx context.Context, d *qluster.DataSource) (qluster.Source, error) {
	custom := o.CustomSource
	return func(ctx context.Context, d *qluster.DataSource) (qluster.Source, error) {
		timeout := time.Duration(d.ConnectionTimeout) * time.Second
		switch d.DataSourceType {
		case qluster.DataSourceTypeS3, qluster.DataSourceTypeMinio:
			return s3source.New(ctx, d, nil)
		case qluster.DataSourceTypeGs:
			return gcssource.New(ctx, d, &gcssource.Options{Endpoint: o.GCSEndpoint})
		case qluster.DataSourceTypeSftp:
			// The data source has no field for the server's host key, so it
			// is not checked: see docs/design.md.
			return sftpsource.New(ctx, d.SFTPHost, d.SFTPUser, &sftpsource.Options{Port: int(d.SFTPPort), Folder: d.SFTPFolder,
				Password: d.SFTPPassword, PrivateKey: d.SFTPSSHKey, PrivateKeyPassphrase: d.SFTPSSHKeyPassphrase,
				InsecureIgnoreHostKey: true, Timeout: timeout})
		case qluster.DataSourceTypeDropbox:
			return dropboxsource.New(ctx, d.DropboxAccessToken, &dropboxsource.Options{Folder: d.DropboxFolder, Timeout: timeout,
				BaseURL: o.DropboxBaseURL, ContentURL: o.DropboxContentURL})
		case qluster.DataSourceTypeStream:
			return streamsource.New(), nil
		case qluster.DataSourceTypeCustom:
			if custom != nil {
				return custom(ctx, d)
			}
			return nil, fmt.Errorf("%w: data source %d is custom, and this server has no custom source registered", qluster.ErrConnection, d.ID)
		}
		return nil, fmt.Errorf("%w: unknown data_source_type %q", qluster.ErrConnection, d.DataSourceType)
	}
}
