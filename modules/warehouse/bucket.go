package warehouse

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// dirBucket is a local directory. Files are written in its .srg-tmp folder and
// renamed into place, so a reader never sees half a file.
type dirBucket struct{ root string }

func (b dirBucket) check(ctx context.Context) error {
	f, err := b.tempFile()
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}

func (b dirBucket) tempFile() (*os.File, error) {
	dir := filepath.Join(b.root, ".srg-tmp")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("local destination: %w", err)
	}
	f, err := os.CreateTemp(dir, "part-*")
	if err != nil {
		return nil, fmt.Errorf("local destination: %w", err)
	}
	return f, nil
}

func (b dirBucket) path(key string) string { return filepath.Join(b.root, filepath.FromSlash(key)) }

func (b dirBucket) put(_ context.Context, key, file string) error {
	dst := b.path(key)
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return fmt.Errorf("local destination: %w", err)
	}
	if err := os.Rename(file, dst); err != nil {
		return fmt.Errorf("local destination: %w", err)
	}
	return nil
}

func (b dirBucket) get(_ context.Context, key string) ([]byte, error) {
	raw, err := os.ReadFile(b.path(key))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("local destination: %w", err)
	}
	return raw, nil
}

func (b dirBucket) remove(_ context.Context, key string) error {
	if err := os.Remove(b.path(key)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("local destination: %w", err)
	}
	return nil
}

// s3Bucket is a prefix in an S3-compatible bucket, through minio-go.
type s3Bucket struct {
	c      *minio.Client
	bucket string
	prefix string
}

// S3Settings locate an S3-compatible bucket.
type S3Settings struct {
	// Endpoint is host[:port], without scheme.
	Endpoint string `json:"endpoint"`
	Bucket   string `json:"bucket"`
	Prefix   string `json:"prefix"`
	Region   string `json:"region"`
	// Insecure uses plain HTTP (a local MinIO); HTTPS otherwise.
	Insecure bool `json:"insecure"`
}

// S3Credentials are an access key pair.
type S3Credentials struct {
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
	SessionToken    string `json:"session_token"`
}

func newS3Bucket(s S3Settings, c S3Credentials) (*s3Bucket, error) {
	client, err := minio.New(s.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(c.AccessKeyID, c.SecretAccessKey, c.SessionToken),
		Secure: !s.Insecure,
		Region: s.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 destination: %w", err)
	}
	return &s3Bucket{c: client, bucket: s.Bucket, prefix: strings.Trim(s.Prefix, "/")}, nil
}

func (b *s3Bucket) key(k string) string { return path.Join(b.prefix, k) }

// s3Error says what S3 answered, without request details.
func s3Error(op string, err error) error {
	var er minio.ErrorResponse
	if errors.As(err, &er) && er.Code != "" {
		return fmt.Errorf("s3 destination: %s: %s (%s)", op, er.Message, er.Code)
	}
	return fmt.Errorf("s3 destination: %s: %w", op, err)
}

// check writes and removes an object: a bucket that is missing or cannot be
// written says so with S3's own error.
func (b *s3Bucket) check(ctx context.Context) error {
	k := b.key("_manifests/.srg-check")
	probe := []byte("srg")
	if _, err := b.c.PutObject(ctx, b.bucket, k, bytes.NewReader(probe), int64(len(probe)), minio.PutObjectOptions{}); err != nil {
		return s3Error("write "+b.bucket+"/"+k, err)
	}
	if err := b.c.RemoveObject(ctx, b.bucket, k, minio.RemoveObjectOptions{}); err != nil {
		return s3Error("remove "+b.bucket+"/"+k, err)
	}
	return nil
}

func (b *s3Bucket) tempFile() (*os.File, error) {
	f, err := os.CreateTemp("", "srg-export-*")
	if err != nil {
		return nil, fmt.Errorf("s3 destination: %w", err)
	}
	return f, nil
}

func (b *s3Bucket) put(ctx context.Context, key, file string) error {
	defer os.Remove(file)
	ct := "application/vnd.apache.parquet"
	if strings.HasSuffix(key, ".json") {
		ct = "application/json"
	}
	if _, err := b.c.FPutObject(ctx, b.bucket, b.key(key), file, minio.PutObjectOptions{ContentType: ct}); err != nil {
		return s3Error("put "+key, err)
	}
	return nil
}

func (b *s3Bucket) get(ctx context.Context, key string) ([]byte, error) {
	obj, err := b.c.GetObject(ctx, b.bucket, b.key(key), minio.GetObjectOptions{})
	if err != nil {
		return nil, s3Error("get "+key, err)
	}
	defer obj.Close()
	raw, err := io.ReadAll(obj)
	if err != nil {
		if minio.ToErrorResponse(err).Code == "NoSuchKey" {
			return nil, nil
		}
		return nil, s3Error("get "+key, err)
	}
	return raw, nil
}

func (b *s3Bucket) remove(ctx context.Context, key string) error {
	if err := b.c.RemoveObject(ctx, b.bucket, b.key(key), minio.RemoveObjectOptions{}); err != nil {
		return s3Error("remove "+key, err)
	}
	return nil
}
