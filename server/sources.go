package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/sources/dropboxsource"
	"github.com/openqluster/qluster-go/sources/gcssource"
	"github.com/openqluster/qluster-go/sources/s3source"
	"github.com/openqluster/qluster-go/sources/sftpsource"
	"github.com/openqluster/qluster-go/sources/streamsource"
	"github.com/openqluster/qluster-go/storage/postgres"
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
			return openSFTP(ctx, o.Store, d, timeout)
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

// openSFTP connects to an SFTP data source, checking the server's host key
// against sftp_host_key. A source without one trusts the key its server
// shows at the first successful login and records it there, so that a
// server answering with another key later (another machine, or a man in
// the middle) is refused with connection_issue until a user sets the new
// key or empties the field to trust the next one.
func openSFTP(ctx context.Context, store *postgres.Store, d *qluster.DataSource, timeout time.Duration) (qluster.Source, error) {
	opts := &sftpsource.Options{Port: int(d.SFTPPort), Folder: d.SFTPFolder, Password: d.SFTPPassword,
		PrivateKey: d.SFTPSSHKey, PrivateKeyPassphrase: d.SFTPSSHKeyPassphrase, Timeout: timeout}
	var seen ssh.PublicKey
	if d.SFTPHostKey != "" {
		opts.HostKey = d.SFTPHostKey
	} else {
		opts.HostKeyCallback = func(_ string, _ net.Addr, key ssh.PublicKey) error {
			seen = key
			return nil
		}
	}
	src, err := sftpsource.New(ctx, d.SFTPHost, d.SFTPUser, opts)
	if hk := (*sftpsource.HostKeyError)(nil); errors.As(err, &hk) {
		return nil, fmt.Errorf("%w. If the server's key changed on purpose, set sftp_host_key to %q (or empty it to trust the key shown at the next login)",
			err, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(hk.Key))))
	}
	if err != nil || seen == nil {
		return src, err
	}
	key := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(seen)))
	if _, err := store.UpdateDataSource(ctx, d.ID, nil, nil, func(x *qluster.DataSource) error {
		if x.SFTPHostKey == "" {
			x.SFTPHostKey = key
		}
		return nil
	}); err != nil {
		src.Close()
		return nil, fmt.Errorf("record the host key of %s as sftp_host_key: %w", d.SFTPHost, err)
	}
	return src, nil
}
