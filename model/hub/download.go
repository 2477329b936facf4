package hub

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/fewshot-go/fewshot/internal/fsutil"
)

// maxAPIResponse bounds the JSON read from the revision API.
const maxAPIResponse = 64 << 20

// etagRE matches the ETags used as blob file names.
var etagRE = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$`)

// Resolve returns the local snapshot folder (snapshots/{commit} in the hub
// cache) of the model repoID at opt.Revision. It first looks in the cache and
// makes no request when a snapshot there has modules.json or config.json and
// weights. Otherwise, unless opt.Offline, it asks the hub for the revision's
// commit and file list, downloads the files that SelectFiles picks into the
// cache, and writes refs/{revision} last, so an interrupted download never
// leaves a snapshot that looks complete. Empty fields of opt take the defaults
// documented on Options.
func Resolve(ctx context.Context, repoID string, opt Options) (string, error) {
	opt = opt.withDefaults()
	if err := ValidateRepoID(repoID); err != nil {
		return "", err
	}
	if err := validateRevision(opt.Revision); err != nil {
		return "", fmt.Errorf("hub: %s: %w", repoID, err)
	}
	cacheDir, err := filepath.Abs(opt.CacheDir)
	if err != nil {
		return "", fmt.Errorf("hub: %s: cache folder %s: %w", repoID, opt.CacheDir, err)
	}
	storage := RepoFolder(cacheDir, repoID)
	snap, why := cachedSnapshot(storage, opt.Revision)
	if snap != "" {
		return snap, nil
	}
	if opt.Offline {
		return "", fmt.Errorf("hub: %s (revision %s): %w (%s) and offline mode is on (HF_HUB_OFFLINE): "+
			"run once with network access, fill the cache %s with Python's `hf download %s`, or pass a local model folder",
			repoID, opt.Revision, ErrNotCached, why, cacheDir, repoID)
	}

	endpoint, err := url.Parse(opt.Endpoint)
	if err != nil || endpoint.Host == "" {
		return "", fmt.Errorf("hub: %s: invalid endpoint %q (HF_ENDPOINT)", repoID, opt.Endpoint)
	}
	d := &downloader{opt: opt, repo: repoID, storage: storage, host: endpoint.Host}
	sha, siblings, err := d.revisionInfo(ctx)
	if err != nil {
		return "", err
	}
	files := SelectFiles(siblings)
	if !slices.Contains(files, "modules.json") && !slices.Contains(files, "config.json") {
		return "", fmt.Errorf("hub: %s (revision %s) has neither modules.json nor config.json: not a sentence-transformers or transformers model", repoID, opt.Revision)
	}
	if !slices.ContainsFunc(files, isWeightsFile) {
		return "", fmt.Errorf("hub: %s (revision %s) has no model.safetensors or pytorch_model.bin at its root or in a module folder", repoID, opt.Revision)
	}
	for _, f := range files {
		if err := d.fetch(ctx, sha, f); err != nil {
			return "", err
		}
	}
	if opt.Revision != sha {
		if err := writeRef(storage, opt.Revision, sha); err != nil {
			return "", fmt.Errorf("hub: %s: %w", repoID, err)
		}
	}
	return filepath.Join(storage, "snapshots", sha), nil
}

func isWeightsFile(p string) bool {
	switch filepath.Base(p) {
	case "model.safetensors", "model.safetensors.index.json", "pytorch_model.bin":
		return true
	}
	return false
}

// downloader holds what one Resolve call needs to talk to the hub.
type downloader struct {
	opt     Options
	repo    string
	storage string
	host    string // the endpoint's host[:port], to tell hub responses from CDN ones
}

func (d *downloader) newRequest(ctx context.Context, u string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "fewshot-go/hub")
	if d.opt.Token != "" {
		req.Header.Set("Authorization", "Bearer "+d.opt.Token)
	}
	return req, nil
}

// revisionInfo asks {endpoint}/api/models/{repo}/revision/{rev} for the
// commit sha and the file list.
func (d *downloader) revisionInfo(ctx context.Context) (string, []string, error) {
	u := d.opt.Endpoint + "/api/models/" + d.repo + "/revision/" + url.PathEscape(d.opt.Revision)
	req, err := d.newRequest(ctx, u)
	if err != nil {
		return "", nil, fmt.Errorf("hub: %s: %w", d.repo, err)
	}
	resp, err := d.opt.Client.Do(req)
	if err != nil {
		return "", nil, fmt.Errorf("hub: %s: fetch the file list of revision %s: %w", d.repo, d.opt.Revision, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", nil, d.statusError(resp, "")
	}
	var info struct {
		SHA      string `json:"sha"`
		Siblings []struct {
			RFilename string `json:"rfilename"`
		} `json:"siblings"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAPIResponse)).Decode(&info); err != nil {
		return "", nil, fmt.Errorf("hub: %s: decode %s: %w", d.repo, u, err)
	}
	if !commitRE.MatchString(info.SHA) {
		return "", nil, fmt.Errorf("hub: %s: %s returned commit %q, not a 40-character sha", d.repo, u, info.SHA)
	}
	names := make([]string, 0, len(info.Siblings))
	for _, s := range info.Siblings {
		names = append(names, s.RFilename)
	}
	return info.SHA, names, nil
}

// statusError turns a non-200 hub response into an error that says what to do.
func (d *downloader) statusError(resp *http.Response, file string) error {
	code := resp.Header.Get("X-Error-Code")
	detail := ""
	if m := resp.Header.Get("X-Error-Message"); m != "" {
		detail = " (" + m + ")"
	}
	what := "the file list of revision " + d.opt.Revision
	if file != "" {
		what = file
	}
	status := resp.Status
	if status == "" {
		status = strconv.Itoa(resp.StatusCode)
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		switch {
		case code == "GatedRepo":
			return fmt.Errorf("hub: %s: %w: fetching %s: %s%s: the repo is gated; accept its conditions at %s/%s and set HF_TOKEN to a token of that account",
				d.repo, ErrUnauthorized, what, status, detail, d.opt.Endpoint, d.repo)
		case d.opt.Token == "":
			return fmt.Errorf("hub: %s: %w: fetching %s: %s%s: the repo is private, gated or does not exist; if it exists, set HF_TOKEN (or HF_TOKEN_PATH) to a token with read access",
				d.repo, ErrUnauthorized, what, status, detail)
		default:
			return fmt.Errorf("hub: %s: %w: fetching %s: %s%s: the token in use (HF_TOKEN or the token file) was refused; check that it is valid and can read this repo, or that the repo name is right",
				d.repo, ErrUnauthorized, what, status, detail)
		}
	case http.StatusNotFound:
		switch {
		case code == "RevisionNotFound":
			return fmt.Errorf("hub: %s: %w: revision %q does not exist%s", d.repo, ErrNotFound, d.opt.Revision, detail)
		case code == "EntryNotFound" || file != "":
			return fmt.Errorf("hub: %s: %w: file %s at revision %s%s", d.repo, ErrNotFound, what, d.opt.Revision, detail)
		default:
			return fmt.Errorf("hub: %s: %w: repo %s or its revision %q does not exist%s; check the name at %s/%s",
				d.repo, ErrNotFound, d.repo, d.opt.Revision, detail, d.opt.Endpoint, d.repo)
		}
	}
	return fmt.Errorf("hub: %s: fetching %s: HTTP %s%s", d.repo, what, status, detail)
}

// fetch makes snapshots/{sha}/{file} point at the file's blob, downloading
// the blob unless the cache already has it.
func (d *downloader) fetch(ctx context.Context, sha, file string) error {
	pointer := filepath.Join(d.storage, "snapshots", sha, filepath.FromSlash(file))
	if isFile(pointer) {
		return nil // fetched by an earlier, interrupted run (or by huggingface_hub)
	}
	u := d.opt.Endpoint + "/" + d.repo + "/resolve/" + sha + "/" + escapePath(file)
	req, err := d.newRequest(ctx, u)
	if err != nil {
		return fmt.Errorf("hub: %s: download %s: %w", d.repo, file, err)
	}
	resp, err := d.opt.Client.Do(req)
	if err != nil {
		return fmt.Errorf("hub: %s: download %s: %w", d.repo, file, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return d.statusError(resp, file)
	}

	blobs := filepath.Join(d.storage, "blobs")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return fmt.Errorf("hub: %s: download %s: %w", d.repo, file, err)
	}
	etag := d.etag(resp)
	if etag != "" && isFile(filepath.Join(blobs, etag)) {
		return link(filepath.Join(blobs, etag), pointer)
	}
	prefix := etag
	if prefix == "" {
		prefix = "download"
	}
	tmp, err := fsutil.CreateTemp(blobs, prefix+".*.incomplete")
	if err != nil {
		return fmt.Errorf("hub: %s: download %s: %w", d.repo, file, err)
	}
	defer tmp.Abort()

	h256 := sha256.New()
	var w io.Writer = io.MultiWriter(tmp, h256)
	var bar *progressbar.ProgressBar
	if d.opt.Progress != nil {
		bar = progressbar.NewOptions64(resp.ContentLength,
			progressbar.OptionSetWriter(d.opt.Progress),
			progressbar.OptionSetDescription(file),
			progressbar.OptionShowBytes(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetSpinnerChangeInterval(0),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(d.opt.Progress) }),
		)
		w = io.MultiWriter(w, bar)
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		total := "?"
		if resp.ContentLength >= 0 {
			total = strconv.FormatInt(resp.ContentLength, 10)
		}
		return fmt.Errorf("hub: %s: download %s: interrupted after %d of %s bytes: %w", d.repo, file, n, total, err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return fmt.Errorf("hub: %s: download %s: got %d bytes, expected %d", d.repo, file, n, resp.ContentLength)
	}
	if bar != nil {
		_ = bar.Finish()
	}
	sum := hex.EncodeToString(h256.Sum(nil))
	switch {
	case etag == "":
		etag = sum
	case len(etag) == 64 && isLowerHex(etag):
		if etag != sum {
			return fmt.Errorf("hub: %s: download %s: content sha256 %s does not match the hub's ETag %s", d.repo, file, sum, etag)
		}
	case len(etag) == 40 && isLowerHex(etag):
		gitSum, err := gitBlobSHA1(tmp.File, n)
		if err != nil {
			return fmt.Errorf("hub: %s: download %s: %w", d.repo, file, err)
		}
		if etag != gitSum {
			return fmt.Errorf("hub: %s: download %s: content git blob sha1 %s does not match the hub's ETag %s", d.repo, file, gitSum, etag)
		}
	}
	blob := filepath.Join(blobs, etag)
	if err := tmp.Commit(blob); err != nil {
		return fmt.Errorf("hub: %s: download %s: %w", d.repo, file, err)
	}
	if err := link(blob, pointer); err != nil {
		return fmt.Errorf("hub: %s: download %s: %w", d.repo, file, err)
	}
	return nil
}

// etag returns the blob name for a download: X-Linked-Etag (the sha256 of an
// LFS file), else ETag (the git blob sha1 of a regular file), from the hub's
// own responses, not from a CDN it redirected to; "" when there is none or it
// is not a safe file name.
func (d *downloader) etag(resp *http.Response) string {
	var chain []*http.Response // earliest first
	for r := resp; r != nil; {
		chain = append([]*http.Response{r}, chain...)
		if r.Request == nil {
			break
		}
		r = r.Request.Response
	}
	for _, header := range []string{"X-Linked-Etag", "ETag"} {
		for _, r := range chain {
			if r.Request != nil && r.Request.URL != nil && r.Request.URL.Host != d.host {
				continue
			}
			if v := normalizeEtag(r.Header.Get(header)); v != "" {
				return v
			}
		}
	}
	return ""
}

// normalizeEtag strips the weak marker and quotes, and rejects values that
// are not safe as a file name.
func normalizeEtag(v string) string {
	v = strings.Trim(strings.TrimPrefix(strings.TrimSpace(v), "W/"), `"`)
	if !etagRE.MatchString(v) {
		return ""
	}
	return v
}

func isLowerHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// gitBlobSHA1 hashes the n bytes of f as git does for a blob object:
// sha1("blob {n}\x00" + content).
func gitBlobSHA1(f *os.File, n int64) (string, error) {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", n)
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, n)); err != nil {
		return "", fmt.Errorf("hash %s: %w", f.Name(), err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// escapePath escapes each segment of a repo file path for a URL.
func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

// randomSuffix returns a short random hex string for temporary names.
func randomSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// link makes pointer a relative symlink to blob, replacing it atomically.
func link(blob, pointer string) error {
	dir := filepath.Dir(pointer)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	rel, err := filepath.Rel(dir, blob)
	if err != nil {
		return err
	}
	tmp := pointer + "." + randomSuffix() + ".tmp"
	if err := os.Symlink(rel, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, pointer); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}

// writeRef records the commit of a branch or tag in refs/{revision},
// atomically.
func writeRef(storage, revision, sha string) error {
	ref := filepath.Join(storage, "refs", filepath.FromSlash(revision))
	if err := os.MkdirAll(filepath.Dir(ref), 0o755); err != nil {
		return fmt.Errorf("write refs/%s: %w", revision, err)
	}
	if err := fsutil.WriteFileAtomic(ref, []byte(sha), 0o644); err != nil {
		return fmt.Errorf("write refs/%s: %w", revision, err)
	}
	return nil
}
