package gcsblob

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"iter"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"cloud.google.com/go/auth"
	"cloud.google.com/go/auth/credentials"
	"cloud.google.com/go/auth/httptransport"
	"cloud.google.com/go/storage"
	gax "github.com/googleapis/gax-go/v2"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/blob"
)

var (
	_ qluster.Backup         = (*Bucket)(nil)
	_ qluster.SignedUploader = (*Bucket)(nil)
)

// Defaults of Options.
const (
	// DefaultChunkSize is the default Options.ChunkSize.
	DefaultChunkSize = 16 << 20
	// DefaultConnectTimeout is the default Options.ConnectTimeout.
	DefaultConnectTimeout = 30 * time.Second
	// DefaultListPageSize is the default Options.ListPageSize (the most
	// Cloud Storage returns at once).
	DefaultListPageSize = 1000
	// MaxSignedUploadExpiry is the longest validity of a V4 signed URL.
	MaxSignedUploadExpiry = blob.MaxSignedUploadExpiry
)

// maxAttempts is how many times a call is tried when it fails transiently;
// the waits between tries grow from about 0.1 to 2.7 seconds.
const maxAttempts = 5

// maxKeyLen is Cloud Storage's limit on the length of an object name, in bytes.
const maxKeyLen = 1024

// Options configures a Bucket. A nil *Options means defaults: Application
// Default Credentials and Cloud Storage itself.
type Options struct {
	// ServiceAccountKey is the JSON key of a service account (the file the
	// Cloud console downloads, "type": "service_account"). It authenticates
	// every request and signs upload URLs locally. Default "": Application
	// Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud's, or the
	// metadata server's on Google Cloud), which sign URLs through the IAM
	// signBlob API (the account needs roles/iam.serviceAccountTokenCreator
	// on itself).
	ServiceAccountKey string
	// Endpoint is the base URL of a server speaking the Cloud Storage JSON
	// and XML APIs other than Google's, such as "http://127.0.0.1:4443" for
	// fake-gcs-server in tests. The JSON API is reached at
	// Endpoint/storage/v1/ and signed URLs point at Endpoint. Without a
	// ServiceAccountKey such a server is called without credentials.
	// Default "": https://storage.googleapis.com.
	Endpoint string
	// Prefix is put in front of every key, so that several backups can share
	// a bucket: with Prefix "qluster/", key "datasets/7/a.csv" is stored as
	// "qluster/datasets/7/a.csv". It is used as given: end it with "/" to
	// name a folder. Default "".
	Prefix string
	// ChunkSize is how much of an object Put buffers and sends per request
	// of a resumable upload; Cloud Storage rounds it up to a multiple of
	// 256 KiB. An object up to ChunkSize is sent in one request. Each Put
	// holds one chunk in memory. Default DefaultChunkSize (16 MiB).
	ChunkSize int
	// ConnectTimeout bounds connecting to the server (dial and TLS
	// handshake), fetching an access token, and waiting for the headers of
	// each response. It does not bound streaming a body, which ctx alone
	// does. Default DefaultConnectTimeout (30 s).
	ConnectTimeout time.Duration
	// ListPageSize is how many objects each request of List asks for, at
	// most 1000. Default DefaultListPageSize (1000).
	ListPageSize int
}

// serviceAccountKey holds the fields of a service account JSON key that
// Open needs.
type serviceAccountKey struct {
	Type        string `json:"type"`
	ClientEmail string `json:"client_email"`
	PrivateKey  string `json:"private_key"`
}

// Bucket is a Backup stored in a Cloud Storage bucket. It is safe for
// concurrent use.
type Bucket struct {
	client    *storage.Client
	bucket    *storage.BucketHandle
	transport *http.Transport
	name      string
	prefix    string
	chunkSize int
	pageSize  int
	insecure  bool               // signed URLs use http (an http Endpoint)
	key       *serviceAccountKey // nil with Application Default Credentials
}

// Open returns a Bucket storing objects in the Cloud Storage bucket named
// bucket. It does not contact the server (Application Default Credentials
// may read local files): a missing bucket or refused credentials show in
// the first call that does. A nil opts means defaults.
func Open(ctx context.Context, bucket string, opts *Options) (*Bucket, error) {
	if opts == nil {
		opts = &Options{}
	}
	if bucket == "" {
		return nil, errors.New("gcsblob.Open: bucket is required")
	}
	o := *opts
	if err := o.withDefaults(); err != nil {
		return nil, fmt.Errorf("gcsblob.Open: %w", err)
	}
	b := &Bucket{
		name:      bucket,
		prefix:    o.Prefix,
		chunkSize: o.ChunkSize,
		pageSize:  o.ListPageSize,
	}
	if o.ServiceAccountKey != "" {
		key, err := parseKey(o.ServiceAccountKey)
		if err != nil {
			return nil, fmt.Errorf("gcsblob.Open: %w", err)
		}
		b.key = key
	}
	b.transport = http.DefaultTransport.(*http.Transport).Clone()
	b.transport.DialContext = (&net.Dialer{Timeout: o.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext
	b.transport.TLSHandshakeTimeout = o.ConnectTimeout
	b.transport.ResponseHeaderTimeout = o.ConnectTimeout

	clientOpts, err := b.clientOptions(&o)
	if err != nil {
		return nil, fmt.Errorf("gcsblob.Open: %w", err)
	}
	client, err := storage.NewClient(ctx, clientOpts...)
	if err != nil {
		return nil, fmt.Errorf("gcsblob.Open: %w", err)
	}
	// The client retries transient failures (a refused connection, 429,
	// 5xx) forever by default: bound them, so that an unreachable server
	// fails the call within seconds.
	client.SetRetry(
		storage.WithMaxAttempts(maxAttempts),
		storage.WithBackoff(gax.Backoff{Initial: 100 * time.Millisecond, Max: 5 * time.Second, Multiplier: 3}),
	)
	b.client = client
	b.bucket = client.Bucket(bucket)
	return b, nil
}

// clientOptions returns the storage client's options: an HTTP client that
// authenticates with the key (or Application Default Credentials, or not at
// all for an Endpoint without a key) over b.transport, and the endpoint.
func (b *Bucket) clientOptions(o *Options) ([]option.ClientOption, error) {
	var opts []option.ClientOption
	if o.Endpoint != "" {
		u, _ := url.Parse(o.Endpoint) // checked by withDefaults
		b.insecure = u.Scheme == "http"
		opts = append(opts, option.WithEndpoint(strings.TrimRight(o.Endpoint, "/")+"/storage/v1/"))
		if o.ServiceAccountKey == "" {
			return append(opts, option.WithHTTPClient(&http.Client{Transport: b.transport}), option.WithoutAuthentication()), nil
		}
	}
	detect := &credentials.DetectOptions{
		Scopes: []string{storage.ScopeFullControl},
		// The token exchange goes through the same timeouts.
		Client: &http.Client{Transport: b.transport},
	}
	var creds *auth.Credentials
	var err error
	if o.ServiceAccountKey != "" {
		creds, err = credentials.NewCredentialsFromJSON(credentials.ServiceAccount, []byte(o.ServiceAccountKey), detect)
	} else {
		creds, err = credentials.DetectDefault(detect)
	}
	if err != nil {
		return nil, fmt.Errorf("loading credentials: %w", err)
	}
	hc, err := httptransport.NewClient(&httptransport.Options{Credentials: creds, BaseRoundTripper: b.transport})
	if err != nil {
		return nil, err
	}
	// The credentials are given too, so that the client does not look for
	// Application Default Credentials of its own.
	return append(opts, option.WithHTTPClient(hc), option.WithAuthCredentials(creds)), nil
}

// withDefaults fills the zero fields of o and checks the others.
func (o *Options) withDefaults() error {
	if o.Endpoint != "" {
		u, err := url.Parse(o.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("Options.Endpoint %q is not an http(s) URL such as http://127.0.0.1:4443", o.Endpoint)
		}
	}
	switch {
	case o.ChunkSize == 0:
		o.ChunkSize = DefaultChunkSize
	case o.ChunkSize < 0:
		return fmt.Errorf("Options.ChunkSize is %d; it must be positive", o.ChunkSize)
	}
	switch {
	case o.ConnectTimeout == 0:
		o.ConnectTimeout = DefaultConnectTimeout
	case o.ConnectTimeout < 0:
		return fmt.Errorf("Options.ConnectTimeout is %s; it must be positive", o.ConnectTimeout)
	}
	switch {
	case o.ListPageSize == 0:
		o.ListPageSize = DefaultListPageSize
	case o.ListPageSize < 0 || o.ListPageSize > DefaultListPageSize:
		return fmt.Errorf("Options.ListPageSize is %d; it must be between 1 and %d", o.ListPageSize, DefaultListPageSize)
	}
	return nil
}

// parseKey reads the fields Open needs from a service account JSON key.
func parseKey(raw string) (*serviceAccountKey, error) {
	var key serviceAccountKey
	if err := json.Unmarshal([]byte(raw), &key); err != nil {
		return nil, fmt.Errorf("the service account key is not JSON: %w", err)
	}
	switch {
	case key.Type != "service_account":
		return nil, fmt.Errorf(`the service account key has "type": %q; want "service_account" (a key of a service account, as the Cloud console downloads it)`, key.Type)
	case key.ClientEmail == "" || key.PrivateKey == "":
		return nil, errors.New("the service account key lacks client_email or private_key")
	}
	// Parse the private key now: the client would only find it broken at
	// its first request.
	block, _ := pem.Decode([]byte(key.PrivateKey))
	if block == nil {
		return nil, errors.New("the service account key's private_key is not a PEM block")
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		parsed, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("the service account key's private_key does not parse: %w", err)
	}
	if _, ok := parsed.(*rsa.PrivateKey); !ok {
		return nil, fmt.Errorf("the service account key's private_key is a %T; want an RSA key", parsed)
	}
	return &key, nil
}

// Name returns the name of the Cloud Storage bucket.
func (b *Bucket) Name() string { return b.name }

// Client returns the storage client, for operations the Bucket does not offer.
func (b *Bucket) Client() *storage.Client { return b.client }

// Close closes the storage client and its idle connections. The Bucket must
// not be used afterwards.
func (b *Bucket) Close() error {
	err := b.client.Close()
	b.transport.CloseIdleConnections()
	return err
}

// Put stores everything r yields under key, replacing what was there, and
// returns the number of bytes written. It streams r through a storage
// Writer, which sends an object up to Options.ChunkSize in one request and a
// larger one as a resumable upload of ChunkSize chunks. Cloud Storage shows
// the object only once the upload is finalized; a Put that fails or whose
// ctx is cancelled abandons the upload and leaves the previous object, if
// any, as it was.
func (b *Bucket) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := validateKey(b.prefix, key); err != nil {
		return 0, fmt.Errorf("gcsblob.Put: %w", err)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := b.bucket.Object(b.prefix + key).NewWriter(wctx)
	w.ChunkSize = b.chunkSize
	n, err := io.Copy(w, blob.ContextReader(ctx, r))
	if err != nil {
		// Cancelling the Writer's context abandons the upload; Close then
		// only waits for it to stop.
		cancel()
		_ = w.Close()
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%w)", ctxErr, err)
		}
		return 0, b.wrapError("gcsblob.Put", key, err, qluster.ErrBucketNotFound)
	}
	if err := w.Close(); err != nil {
		return 0, b.wrapError("gcsblob.Put", key, err, qluster.ErrBucketNotFound)
	}
	return n, nil
}

// Get opens the object at key; the caller closes it. The object is read
// over the network as the caller reads, under ctx: ctx must stay alive until
// the reader is closed. A missing key, and a missing bucket (Cloud Storage's
// XML API, which reads use, does not tell them apart), return a
// *qluster.NotFoundError.
func (b *Bucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := validateKey(b.prefix, key); err != nil {
		return nil, fmt.Errorf("gcsblob.Get: %w", err)
	}
	r, err := b.bucket.Object(b.prefix + key).NewReader(ctx)
	if err != nil {
		if errors.Is(err, storage.ErrObjectNotExist) {
			return nil, &qluster.NotFoundError{Kind: "object", Key: b.location(key)}
		}
		return nil, b.wrapError("gcsblob.Get", key, err, nil)
	}
	return r, nil
}

// Delete removes the object at key; deleting a missing key is not an error.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := validateKey(b.prefix, key); err != nil {
		return fmt.Errorf("gcsblob.Delete: %w", err)
	}
	err := b.bucket.Object(b.prefix + key).Delete(ctx)
	if err != nil && !errors.Is(err, storage.ErrObjectNotExist) {
		return b.wrapError("gcsblob.Delete", key, err, nil)
	}
	return nil
}

// List yields every object whose key (after Options.Prefix) begins with
// prefix, in key order, one request per Options.ListPageSize objects. Keys
// are given without Options.Prefix, as Get takes them. Keys ending in "/"
// (the empty "folder" objects that consoles create) are skipped. ETag is
// the object's generation, which changes whenever its content is replaced
// (and not when only its metadata changes). A failure is yielded once, as
// the last pair, translated like every error of the package
// (ErrBucketNotFound, ErrAccessDenied, ErrConnection).
func (b *Bucket) List(ctx context.Context, prefix string) iter.Seq2[qluster.RemoteFile, error] {
	return func(yield func(qluster.RemoteFile, error) bool) {
		q := &storage.Query{Prefix: b.prefix + prefix}
		if err := q.SetAttrSelection([]string{"Name", "Size", "Updated", "Generation"}); err != nil {
			yield(qluster.RemoteFile{}, fmt.Errorf("gcsblob.List: %w", err))
			return
		}
		it := b.bucket.Objects(ctx, q)
		it.PageInfo().MaxSize = b.pageSize
		for {
			attrs, err := it.Next()
			if errors.Is(err, iterator.Done) {
				return
			}
			if err != nil {
				yield(qluster.RemoteFile{}, b.wrapError("gcsblob.List", prefix, err, nil))
				return
			}
			key := strings.TrimPrefix(attrs.Name, b.prefix)
			if key == "" || strings.HasSuffix(key, "/") {
				continue
			}
			f := qluster.RemoteFile{
				Key:     key,
				Size:    attrs.Size,
				ModTime: attrs.Updated,
				ETag:    strconv.FormatInt(attrs.Generation, 10),
			}
			if !yield(f, nil) {
				return
			}
		}
	}
}

// SignUpload returns a V4 signed URL that accepts the bytes of key with an
// HTTP PUT until expires, which must be in the future and at most
// MaxSignedUploadExpiry (7 days) away. ExpiresAt is the exact expiry signed
// into the URL: V4 counts whole seconds from a whole second, so it is up to
// 2 seconds before expires, never after. With Options.ServiceAccountKey the
// URL is signed locally with its private key; with Application Default
// Credentials, through the IAM signBlob API. The account must be able to
// create objects when the URL is used. Fields is empty: the PUT needs no
// header.
func (b *Bucket) SignUpload(ctx context.Context, key string, expires time.Time) (*qluster.SignedUpload, error) {
	if err := validateKey(b.prefix, key); err != nil {
		return nil, fmt.Errorf("gcsblob.SignUpload: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("gcsblob.SignUpload: %w", err)
	}
	if _, err := blob.SignedUploadTTL(expires); err != nil {
		return nil, fmt.Errorf("gcsblob.SignUpload: %w", err)
	}
	opts := &storage.SignedURLOptions{
		Scheme:   storage.SigningSchemeV4,
		Method:   http.MethodPut,
		Expires:  expires,
		Insecure: b.insecure,
	}
	if b.key != nil {
		opts.GoogleAccessID = b.key.ClientEmail
		opts.PrivateKey = []byte(b.key.PrivateKey)
	}
	signed, err := b.bucket.SignedURL(b.prefix+key, opts)
	if err != nil {
		return nil, b.wrapError("gcsblob.SignUpload", key, err, nil)
	}
	expiresAt, err := blob.SignedURLExpiry(signed, "X-Goog")
	if err != nil {
		return nil, fmt.Errorf("gcsblob.SignUpload %q: %w", b.location(key), err)
	}
	return &qluster.SignedUpload{
		URL:        signed,
		HTTPMethod: http.MethodPut,
		Fields:     map[string]string{},
		ExpiresAt:  expiresAt,
	}, nil
}

// location names the object of key as gs://bucket/key, prefix included.
func (b *Bucket) location(key string) string {
	return "gs://" + b.name + "/" + b.prefix + key
}

// validateKey checks what Cloud Storage would refuse: an empty key, one
// that is not UTF-8, holds a carriage return or line feed, or is longer than
// 1024 bytes with the prefix.
func validateKey(prefix, key string) error {
	switch {
	case key == "":
		return errors.New("invalid key: the key is empty")
	case !utf8.ValidString(key):
		return fmt.Errorf("invalid key %q: it is not valid UTF-8", key)
	case strings.ContainsAny(key, "\r\n"):
		return fmt.Errorf("invalid key %q: it may not contain a carriage return or line feed", key)
	case len(prefix)+len(key) > maxKeyLen:
		return fmt.Errorf("invalid key %q: with the prefix it is longer than %d bytes", key, maxKeyLen)
	}
	return nil
}
