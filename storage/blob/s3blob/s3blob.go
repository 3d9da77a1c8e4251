package s3blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/blob"
)

var (
	_ qluster.Backup         = (*Bucket)(nil)
	_ qluster.SignedUploader = (*Bucket)(nil)
)

// Defaults of Options.
const (
	// DefaultRegion is the region used when neither Options.Region nor the
	// environment names one.
	DefaultRegion = "us-east-1"
	// DefaultPartSize is the default Options.PartSize.
	DefaultPartSize = 8 << 20
	// MinPartSize is the smallest part S3 accepts in a multipart upload.
	MinPartSize = 5 << 20
	// DefaultConcurrency is the default Options.Concurrency.
	DefaultConcurrency = 4
	// DefaultConnectTimeout is the default Options.ConnectTimeout.
	DefaultConnectTimeout = 30 * time.Second
	// DefaultListPageSize is the default Options.ListPageSize (S3's maximum).
	DefaultListPageSize = 1000
	// MaxSignedUploadExpiry is the longest validity of a pre-signed URL that
	// Signature Version 4 allows.
	MaxSignedUploadExpiry = blob.MaxSignedUploadExpiry
)

// maxKeyLen is S3's limit on the length of an object key, in bytes.
const maxKeyLen = 1024

// abortTimeout bounds the AbortMultipartUpload sent after a failed or
// cancelled Put, which runs on a fresh context so that a cancelled Put still
// releases its parts.
const abortTimeout = 30 * time.Second

// Options configures a Bucket. A nil *Options means defaults: the region and
// credentials of the environment (AWS_REGION, AWS_ACCESS_KEY_ID, the shared
// config files, an instance role) and Amazon S3 itself.
type Options struct {
	// Region is the bucket's region, such as "eu-west-1". Default: the
	// environment's (AWS_REGION, ~/.aws/config), else DefaultRegion. Servers
	// such as MinIO accept any region; "us-east-1" is customary.
	Region string
	// Endpoint is the base URL of an S3-compatible server, such as
	// "http://127.0.0.1:9000" (MinIO, versitygw) or
	// "https://s3.eu-central-003.backblazeb2.com". Setting it switches to
	// path-style addressing (http://host/bucket/key), which such servers
	// expect, and turns the SDK's optional CRC32 checksums off (they are
	// sent only when an operation requires them), since not every
	// S3-compatible server accepts them. Default "": Amazon S3, with
	// virtual-hosted addressing and checksums.
	Endpoint string
	// AccessKey and SecretKey are static credentials. Default "": the
	// environment's credential chain. Setting one requires the other.
	AccessKey string
	SecretKey string
	// Prefix is put in front of every key, so that several backups can share
	// a bucket: with Prefix "qluster/", key "datasets/7/a.csv" is stored as
	// "qluster/datasets/7/a.csv". It is used as given: end it with "/" to
	// name a folder. Default "".
	Prefix string
	// PartSize is the size of each part of a multipart upload, and the size
	// up to which Put sends an object in a single request. At least
	// MinPartSize (5 MiB). A Put holds up to (Concurrency+1) × PartSize bytes
	// in memory. S3 allows 10,000 parts, so PartSize bounds the largest
	// object at 10,000 × PartSize (80 GB at the default). Default
	// DefaultPartSize (8 MiB).
	PartSize int64
	// Concurrency is how many parts of one Put are uploaded at once.
	// Default DefaultConcurrency (4).
	Concurrency int
	// ConnectTimeout bounds connecting to the server (dial and TLS
	// handshake) and waiting for the headers of each response. It does not
	// bound streaming a body, which ctx alone does. Default
	// DefaultConnectTimeout (30 s).
	ConnectTimeout time.Duration
	// ListPageSize is how many keys each request of List asks for, at most
	// 1000. Default DefaultListPageSize (1000).
	ListPageSize int32
}

// Bucket is a Backup stored in an S3 bucket. It is safe for concurrent use.
type Bucket struct {
	client    *s3.Client
	presign   *s3.PresignClient
	uploader  *transfermanager.Client
	transport *http.Transport
	name      string
	prefix    string
	pageSize  int32
}

// Open returns a Bucket storing objects in the S3 bucket named bucket. It
// does not contact the server: a missing bucket or refused credentials show
// in the first call that does. ctx bounds reading the environment's
// configuration only. A nil opts means defaults.
func Open(ctx context.Context, bucket string, opts *Options) (*Bucket, error) {
	if opts == nil {
		opts = &Options{}
	}
	if bucket == "" {
		return nil, errors.New("s3blob.Open: bucket is required")
	}
	o := *opts
	if err := o.withDefaults(); err != nil {
		return nil, fmt.Errorf("s3blob.Open: %w", err)
	}
	client, transport, err := newClient(ctx, &o)
	if err != nil {
		return nil, fmt.Errorf("s3blob.Open: %w", err)
	}
	uploader := transfermanager.New(client, func(t *transfermanager.Options) {
		t.PartSizeBytes = o.PartSize
		// The first part is read whole before Put chooses between a single
		// request and a multipart upload: make it one part, not 16 MiB.
		t.MultipartUploadThreshold = o.PartSize
		t.Concurrency = o.Concurrency
		t.FailTimeout = abortTimeout
		if o.Endpoint != "" {
			t.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		}
	})
	return &Bucket{
		client: client,
		// A pre-signed URL carries no checksum: the uploader's body is not
		// known when signing.
		presign: s3.NewPresignClient(client, func(p *s3.PresignOptions) {
			p.ClientOptions = append(p.ClientOptions, func(o *s3.Options) {
				o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			})
		}),
		uploader:  uploader,
		transport: transport,
		name:      bucket,
		prefix:    o.Prefix,
		pageSize:  o.ListPageSize,
	}, nil
}

// withDefaults fills the zero fields of o and checks the others.
func (o *Options) withDefaults() error {
	if (o.AccessKey == "") != (o.SecretKey == "") {
		return errors.New("Options.AccessKey and Options.SecretKey must be set together")
	}
	if o.Endpoint != "" {
		u, err := url.Parse(o.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("Options.Endpoint %q is not an http(s) URL such as https://s3.example.com", o.Endpoint)
		}
	}
	switch {
	case o.PartSize == 0:
		o.PartSize = DefaultPartSize
	case o.PartSize < MinPartSize:
		return fmt.Errorf("Options.PartSize is %d bytes; S3 wants at least %d (5 MiB)", o.PartSize, MinPartSize)
	}
	switch {
	case o.Concurrency == 0:
		o.Concurrency = DefaultConcurrency
	case o.Concurrency < 0:
		return fmt.Errorf("Options.Concurrency is %d; it must be positive", o.Concurrency)
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

// newClient builds the S3 client of o and the transport it uses.
func newClient(ctx context.Context, o *Options) (*s3.Client, *http.Transport, error) {
	var load []func(*config.LoadOptions) error
	if o.Region != "" {
		load = append(load, config.WithRegion(o.Region))
	}
	if o.AccessKey != "" {
		load = append(load, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(o.AccessKey, o.SecretKey, "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	// The loaded client holds the environment's TLS settings (AWS_CA_BUNDLE);
	// keep them, add the timeouts, and keep the transport to close it.
	buildable, ok := cfg.HTTPClient.(*awshttp.BuildableClient)
	if !ok {
		buildable = awshttp.NewBuildableClient()
	}
	transport := buildable.
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = o.ConnectTimeout }).
		WithTransportOptions(func(tr *http.Transport) {
			tr.TLSHandshakeTimeout = o.ConnectTimeout
			tr.ResponseHeaderTimeout = o.ConnectTimeout
		}).
		GetTransport()
	cfg.HTTPClient = &http.Client{
		Transport: transport,
		// As the SDK's own client: a redirect is S3's answer, not a hop.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if o.Endpoint != "" {
		cfg.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		cfg.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}
	client := s3.NewFromConfig(cfg, func(s *s3.Options) {
		if o.Endpoint != "" {
			s.BaseEndpoint = aws.String(o.Endpoint)
			s.UsePathStyle = true
		}
	})
	return client, transport, nil
}

// Name returns the name of the S3 bucket.
func (b *Bucket) Name() string { return b.name }

// Client returns the S3 client, for operations the Bucket does not offer.
func (b *Bucket) Client() *s3.Client { return b.client }

// Close releases idle connections. The Bucket must not be used afterwards.
func (b *Bucket) Close() error {
	b.transport.CloseIdleConnections()
	return nil
}

// Put stores everything r yields under key, replacing what was there, and
// returns the number of bytes written. Objects up to Options.PartSize go in
// one PutObject; larger ones in a multipart upload of Options.PartSize parts,
// read from r as they are sent. The object appears only once complete; a Put
// that fails or whose ctx is cancelled aborts its multipart upload (on a
// fresh context, so the parts are released either way) and leaves the
// previous object, if any, as it was.
func (b *Bucket) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := validateKey(b.prefix, key); err != nil {
		return 0, fmt.Errorf("s3blob.Put: %w", err)
	}
	cr := &countingReader{ctx: ctx, r: r}
	_, err := b.uploader.UploadObject(ctx, &transfermanager.UploadObjectInput{
		Bucket: aws.String(b.name),
		Key:    aws.String(b.prefix + key),
		Body:   cr,
	})
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			// The uploader may report the cancelled request, not the cause.
			err = fmt.Errorf("%w (%w)", ctxErr, err)
		}
		return 0, b.wrapError("s3blob.Put", key, err)
	}
	return cr.n, nil
}

// Get opens the object at key; the caller closes it. The object is read
// over the network as the caller reads, under ctx: ctx must stay alive
// until the reader is closed. A missing key returns a *qluster.NotFoundError.
func (b *Bucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := validateKey(b.prefix, key); err != nil {
		return nil, fmt.Errorf("s3blob.Get: %w", err)
	}
	out, err := b.client.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(b.name),
		Key:    aws.String(b.prefix + key),
	})
	if err != nil {
		if isNotFound(err) {
			return nil, &qluster.NotFoundError{Kind: "object", Key: "s3://" + b.name + "/" + b.prefix + key}
		}
		return nil, b.wrapError("s3blob.Get", key, err)
	}
	return out.Body, nil
}

// Delete removes the object at key; deleting a missing key is not an error.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := validateKey(b.prefix, key); err != nil {
		return fmt.Errorf("s3blob.Delete: %w", err)
	}
	_, err := b.client.DeleteObject(ctx, &s3.DeleteObjectInput{
		Bucket: aws.String(b.name),
		Key:    aws.String(b.prefix + key),
	})
	if err != nil && !isNotFound(err) {
		return b.wrapError("s3blob.Delete", key, err)
	}
	return nil
}

// List yields every object whose key (after Options.Prefix) begins with
// prefix, in key order, one ListObjectsV2 request per Options.ListPageSize
// keys. Keys are given without Options.Prefix, as Get takes them. Keys
// ending in "/" (the empty "folder" objects that consoles create) are
// skipped. A failure is yielded once, as the last pair, translated like
// every error of the package (ErrBucketNotFound, ErrAccessDenied,
// ErrConnection).
func (b *Bucket) List(ctx context.Context, prefix string) iter.Seq2[qluster.RemoteFile, error] {
	return func(yield func(qluster.RemoteFile, error) bool) {
		pages := s3.NewListObjectsV2Paginator(b.client, &s3.ListObjectsV2Input{
			Bucket:  aws.String(b.name),
			Prefix:  aws.String(b.prefix + prefix),
			MaxKeys: aws.Int32(b.pageSize),
		})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				yield(qluster.RemoteFile{}, b.wrapError("s3blob.List", prefix, err))
				return
			}
			for _, obj := range page.Contents {
				key := strings.TrimPrefix(aws.ToString(obj.Key), b.prefix)
				if key == "" || strings.HasSuffix(key, "/") {
					continue
				}
				f := qluster.RemoteFile{
					Key:     key,
					Size:    aws.ToInt64(obj.Size),
					ModTime: aws.ToTime(obj.LastModified),
					ETag:    strings.Trim(aws.ToString(obj.ETag), `"`),
				}
				if obj.Size == nil {
					f.Size = -1
				}
				if !yield(f, nil) {
					return
				}
			}
		}
	}
}

// SignUpload returns a pre-signed URL (Signature Version 4) that accepts the
// bytes of key with an HTTP PUT until expires, which must be in the future
// and at most MaxSignedUploadExpiry (7 days) away. ExpiresAt is the exact
// expiry signed into the URL: Signature Version 4 counts whole seconds from
// a whole second, so it is up to 2 seconds before expires, never after. The URL is
// signed locally with the Bucket's credentials, which must be able to put
// objects when the URL is used. Fields holds the headers, besides Host, that
// the PUT must send with these values (none unless S3 requires one).
func (b *Bucket) SignUpload(ctx context.Context, key string, expires time.Time) (*qluster.SignedUpload, error) {
	if err := validateKey(b.prefix, key); err != nil {
		return nil, fmt.Errorf("s3blob.SignUpload: %w", err)
	}
	ttl, err := blob.SignedUploadTTL(expires)
	if err != nil {
		return nil, fmt.Errorf("s3blob.SignUpload: %w", err)
	}
	req, err := b.presign.PresignPutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(b.name),
		Key:    aws.String(b.prefix + key),
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return nil, b.wrapError("s3blob.SignUpload", key, err)
	}
	expiresAt, err := blob.SignedURLExpiry(req.URL, "X-Amz")
	if err != nil {
		return nil, fmt.Errorf("s3blob.SignUpload %q: %w", key, err)
	}
	fields := map[string]string{}
	for name, values := range req.SignedHeader {
		if !strings.EqualFold(name, "Host") && len(values) > 0 {
			fields[name] = values[0]
		}
	}
	return &qluster.SignedUpload{
		URL:        req.URL,
		HTTPMethod: req.Method,
		Fields:     fields,
		ExpiresAt:  expiresAt,
	}, nil
}

// validateKey checks what S3 would refuse or mangle: an empty key, one that
// is not UTF-8, or one longer than 1024 bytes with the prefix.
func validateKey(prefix, key string) error {
	switch {
	case key == "":
		return errors.New("invalid key: the key is empty")
	case !utf8.ValidString(key):
		return fmt.Errorf("invalid key %q: it is not valid UTF-8", key)
	case len(prefix)+len(key) > maxKeyLen:
		return fmt.Errorf("invalid key %q: with the prefix it is longer than %d bytes", key, maxKeyLen)
	}
	return nil
}

// countingReader counts the bytes read through it and stops once ctx is done.
type countingReader struct {
	ctx context.Context //nolint:containedctx // scoped to one Put call
	r   io.Reader
	n   int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
