package hub

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testSHA    = "0123456789abcdef0123456789abcdef01234567"
	testToken  = "hf_secret"
	repoPublic = "acme/mini-model"
)

// gitSHA1 is git's blob id: sha1("blob <size>\0" + content).
func gitSHA1(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestGitSHA1Helper(t *testing.T) {
	// Values from `git hash-object --stdin`.
	assert.Equal(t, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", gitSHA1(nil))
	assert.Equal(t, "ce013625030ba8dba906f756967f9e9ca394464a", gitSHA1([]byte("hello\n")))
}

// fakeFile is one file of a fake repo and how the fake hub serves it.
type fakeFile struct {
	content []byte
	lfs     bool   // served by a redirect to the CDN server, with X-Linked-Etag
	etag    string // overrides the ETag / X-Linked-Etag value; "-" sends none
	weak    bool   // send the ETag as W/"..."
}

type fakeRepo struct {
	sha     string
	private bool
	files   map[string]fakeFile
}

// fakeHub serves repos in the hub's URL layout: /api/models/{repo}/revision/{rev}
// and /{repo}/resolve/{sha}/{path}, with LFS files redirected to a second
// ("CDN") server.
type fakeHub struct {
	hub, cdn *httptest.Server
	repos    map[string]*fakeRepo

	mu       sync.Mutex
	resolves []string // files requested through /resolve/
	api      int      // API requests
	cdnHits  int
	auth     []string // Authorization headers seen by the hub
	cut      string   // file whose body is cut off halfway, then the connection closed
}

func (h *fakeHub) requests() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.api + len(h.resolves) + h.cdnHits
}

func (h *fakeHub) resolved() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.resolves...)
}

func (h *fakeHub) setCut(file string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cut = file
}

func (h *fakeHub) cutFile() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cut
}

// serveBody writes content with an ETag header, or only half of it and then
// drops the connection when file is the one to cut.
func (h *fakeHub) serveBody(w http.ResponseWriter, file string, content []byte, etagHeader string) {
	if file == h.cutFile() {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n", len(content))
		if etagHeader != "" {
			fmt.Fprintf(buf, "ETag: %s\r\n", etagHeader)
		}
		buf.WriteString("\r\n")
		buf.Write(content[:len(content)/2])
		buf.Flush()
		conn.Close()
		return
	}
	if etagHeader != "" {
		w.Header().Set("ETag", etagHeader)
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(content)))
	w.Write(content)
}

func newFakeHub(t *testing.T, repos map[string]*fakeRepo) *fakeHub {
	h := &fakeHub{repos: repos}
	cdn := http.NewServeMux()
	cdn.HandleFunc("GET /lfs/{repo...}", func(w http.ResponseWriter, r *http.Request) {
		// {repo...} is "org/name/path/in/repo".
		parts := strings.SplitN(r.PathValue("repo"), "/", 3)
		repo := h.repos[parts[0]+"/"+parts[1]]
		f := repo.files[parts[2]]
		h.mu.Lock()
		h.cdnHits++
		h.mu.Unlock()
		// A CDN ETag that is not the content hash: it must be ignored.
		h.serveBody(w, parts[2], f.content, `"cdn-etag-0000"`)
	})
	h.cdn = httptest.NewServer(cdn)
	t.Cleanup(h.cdn.Close)

	mux := http.NewServeMux()
	authorized := func(w http.ResponseWriter, r *http.Request, repo *fakeRepo) bool {
		h.mu.Lock()
		h.auth = append(h.auth, r.Header.Get("Authorization"))
		h.mu.Unlock()
		if repo.private && r.Header.Get("Authorization") != "Bearer "+testToken {
			w.Header().Set("X-Error-Code", "RepoNotFound")
			http.Error(w, `{"error":"Invalid username or password."}`, http.StatusUnauthorized)
			return false
		}
		return true
	}
	mux.HandleFunc("GET /api/models/{org}/{name}/revision/{rev}", func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.api++
		h.mu.Unlock()
		repo, ok := h.repos[r.PathValue("org")+"/"+r.PathValue("name")]
		if !ok {
			w.Header().Set("X-Error-Code", "RepoNotFound")
			http.Error(w, `{"error":"Repository not found"}`, http.StatusNotFound)
			return
		}
		if !authorized(w, r, repo) {
			return
		}
		if rev := r.PathValue("rev"); rev != "main" && rev != repo.sha {
			w.Header().Set("X-Error-Code", "RevisionNotFound")
			w.Header().Set("X-Error-Message", "Invalid rev id: "+rev)
			http.Error(w, `{"error":"Invalid rev id"}`, http.StatusNotFound)
			return
		}
		type sibling struct {
			RFilename string `json:"rfilename"`
		}
		out := struct {
			ID       string    `json:"id"`
			SHA      string    `json:"sha"`
			Siblings []sibling `json:"siblings"`
		}{ID: r.PathValue("org") + "/" + r.PathValue("name"), SHA: repo.sha}
		for name := range repo.files {
			out.Siblings = append(out.Siblings, sibling{name})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
	})
	files := http.NewServeMux()
	files.HandleFunc("GET /{org}/{name}/resolve/{rev}/{path...}", func(w http.ResponseWriter, r *http.Request) {
		repoID := r.PathValue("org") + "/" + r.PathValue("name")
		file := r.PathValue("path")
		h.mu.Lock()
		h.resolves = append(h.resolves, file)
		h.mu.Unlock()
		repo, ok := h.repos[repoID]
		if !ok {
			w.Header().Set("X-Error-Code", "RepoNotFound")
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		if !authorized(w, r, repo) {
			return
		}
		f, ok := repo.files[file]
		if !ok || r.PathValue("rev") != repo.sha {
			w.Header().Set("X-Error-Code", "EntryNotFound")
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		etag := f.etag
		if etag == "" {
			if f.lfs {
				etag = sha256Hex(f.content)
			} else {
				etag = gitSHA1(f.content)
			}
		}
		header := ""
		if etag != "-" {
			header = `"` + etag + `"`
			if f.weak {
				header = "W/" + header
			}
		}
		if f.lfs {
			w.Header().Set("X-Linked-Etag", header)
			w.Header().Set("ETag", `"lfs-pointer-etag"`)
			w.Header().Set("X-Repo-Commit", repo.sha)
			http.Redirect(w, r, h.cdn.URL+"/lfs/"+repoID+"/"+file, http.StatusFound)
			return
		}
		h.serveBody(w, file, f.content, header)
	})
	h.hub = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			mux.ServeHTTP(w, r)
			return
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(h.hub.Close)
	return h
}

// weights returns n deterministic, non-repeating-looking bytes.
func weights(n int, seed byte) []byte {
	b := make([]byte, n)
	x := uint32(seed) + 1
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = byte(x >> 24)
	}
	return b
}

// miniModel is a sentence-transformers repo with files that must be skipped.
func miniModel() *fakeRepo {
	return &fakeRepo{sha: testSHA, files: map[string]fakeFile{
		"modules.json":                      {content: []byte(`[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"}]`)},
		"config.json":                       {content: []byte(`{"model_type":"bert"}`)},
		"config_sentence_transformers.json": {content: []byte(`{"__version__":{}}`)},
		"sentence_bert_config.json":         {content: []byte(`{"max_seq_length":128}`), etag: "-"},
		"tokenizer.json":                    {content: []byte(`{"version":"1.0"}`)},
		"tokenizer_config.json":             {content: []byte(`{"do_lower_case":true}`)},
		"special_tokens_map.json":           {content: []byte(`{}`)},
		"vocab.txt":                         {content: []byte("[PAD]\n[UNK]\n"), weak: true},
		"model.safetensors":                 {content: weights(10000, 1), lfs: true},
		"pytorch_model.bin":                 {content: weights(100, 2), lfs: true},
		"README.md":                         {content: []byte("# mini")},
		".gitattributes":                    {content: []byte("*.bin filter=lfs")},
		"onnx/model.onnx":                   {content: []byte("onnx"), lfs: true},
		"openvino/openvino_model.bin":       {content: []byte("ov"), lfs: true},
		"tf_model.h5":                       {content: []byte("h5"), lfs: true},
		"rust_model.ot":                     {content: []byte("ot"), lfs: true},
		"1_Pooling/config.json":             {content: []byte(`{"pooling_mode_mean_tokens":true}`)},
		"2_Dense/config.json":               {content: []byte(`{"in_features":4,"out_features":2}`)},
		"2_Dense/pytorch_model.bin":         {content: weights(300, 3), lfs: true},
		"3_Extra/deep/config.json":          {content: []byte(`{}`)},
	}}
}

// wantSnapshot lists the snapshot files and their symlink targets, written
// out by hand from the layout rules.
func wantSnapshot(repo *fakeRepo) map[string]string {
	f := repo.files
	return map[string]string{
		"modules.json":                      "../../blobs/" + gitSHA1(f["modules.json"].content),
		"config.json":                       "../../blobs/" + gitSHA1(f["config.json"].content),
		"config_sentence_transformers.json": "../../blobs/" + gitSHA1(f["config_sentence_transformers.json"].content),
		"sentence_bert_config.json":         "../../blobs/" + sha256Hex(f["sentence_bert_config.json"].content), // no ETag: sha256
		"tokenizer.json":                    "../../blobs/" + gitSHA1(f["tokenizer.json"].content),
		"tokenizer_config.json":             "../../blobs/" + gitSHA1(f["tokenizer_config.json"].content),
		"special_tokens_map.json":           "../../blobs/" + gitSHA1(f["special_tokens_map.json"].content),
		"vocab.txt":                         "../../blobs/" + gitSHA1(f["vocab.txt"].content),
		"model.safetensors":                 "../../blobs/" + sha256Hex(f["model.safetensors"].content),
		"1_Pooling/config.json":             "../../../blobs/" + gitSHA1(f["1_Pooling/config.json"].content),
		"2_Dense/config.json":               "../../../blobs/" + gitSHA1(f["2_Dense/config.json"].content),
		"2_Dense/pytorch_model.bin":         "../../../blobs/" + sha256Hex(f["2_Dense/pytorch_model.bin"].content),
	}
}

// snapshotLinks walks a snapshot and returns each entry's symlink target.
func snapshotLinks(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		target, err := os.Readlink(p)
		if err != nil {
			out[filepath.ToSlash(rel)] = "NOT A SYMLINK"
			return nil
		}
		out[filepath.ToSlash(rel)] = target
		return nil
	})
	require.NoError(t, err)
	return out
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestResolveDownloadsInHubLayout(t *testing.T) {
	repo := miniModel()
	h := newFakeHub(t, map[string]*fakeRepo{repoPublic: repo})
	cache := t.TempDir()
	var progress bytes.Buffer
	opt := Options{CacheDir: cache, Endpoint: h.hub.URL + "/", Client: h.hub.Client(), Progress: &progress}

	dir, err := Resolve(context.Background(), repoPublic, opt)
	require.NoError(t, err)
	storage := filepath.Join(cache, "models--acme--mini-model")
	assert.Equal(t, filepath.Join(storage, "snapshots", testSHA), dir)

	ref, err := os.ReadFile(filepath.Join(storage, "refs", "main"))
	require.NoError(t, err)
	assert.Equal(t, testSHA, string(ref), "refs/main holds the bare sha")

	want := wantSnapshot(repo)
	assert.Equal(t, want, snapshotLinks(t, dir))
	for name, target := range want {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		require.NoError(t, err, name)
		assert.Equal(t, repo.files[name].content, got, name)
		_, err = os.Stat(filepath.Join(filepath.Dir(filepath.Join(dir, name)), target))
		assert.NoError(t, err, "the relative link of %s resolves", name)
	}
	var wantBlobs []string
	for _, target := range want {
		wantBlobs = append(wantBlobs, filepath.Base(target))
	}
	sort.Strings(wantBlobs)
	assert.Equal(t, wantBlobs, listDir(t, filepath.Join(storage, "blobs")), "one blob per file, no leftovers")

	// The skipped files were never requested.
	for _, f := range h.resolved() {
		_, ok := want[f]
		assert.True(t, ok, "unexpected download of %s", f)
	}
	assert.Len(t, h.resolved(), len(want))
	assert.Equal(t, 2, h.cdnHits, "the two LFS files come from the CDN")
	assert.Contains(t, progress.String(), "model.safetensors")

	// A second Resolve is served from the cache without any request.
	before := h.requests()
	dir2, err := Resolve(context.Background(), repoPublic, opt)
	require.NoError(t, err)
	assert.Equal(t, dir, dir2)
	assert.Equal(t, before, h.requests())

	// So is an offline one, and one that names the commit.
	opt.Offline = true
	dir3, err := Resolve(context.Background(), repoPublic, opt)
	require.NoError(t, err)
	assert.Equal(t, dir, dir3)
	opt.Revision = testSHA
	dir4, err := Resolve(context.Background(), repoPublic, opt)
	require.NoError(t, err)
	assert.Equal(t, dir, dir4)
	assert.Equal(t, before, h.requests())
}

func TestResolveByCommitWritesNoRef(t *testing.T) {
	h := newFakeHub(t, map[string]*fakeRepo{repoPublic: miniModel()})
	cache := t.TempDir()
	dir, err := Resolve(context.Background(), repoPublic, Options{CacheDir: cache, Endpoint: h.hub.URL, Revision: testSHA})
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(cache, "models--acme--mini-model", "snapshots", testSHA), dir)
	assert.Empty(t, listDir(t, filepath.Join(cache, "models--acme--mini-model", "refs")))
}

func TestResolveOfflineNotCached(t *testing.T) {
	h := newFakeHub(t, map[string]*fakeRepo{repoPublic: miniModel()})
	cache := t.TempDir()
	_, err := Resolve(context.Background(), repoPublic, Options{CacheDir: cache, Endpoint: h.hub.URL, Offline: true})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrNotCached)
	assert.Contains(t, err.Error(), repoPublic)
	assert.Contains(t, err.Error(), "HF_HUB_OFFLINE")
	assert.Contains(t, err.Error(), "hf download "+repoPublic)
	assert.Equal(t, 0, h.requests())
}

func TestResolveHonoursEnvironment(t *testing.T) {
	h := newFakeHub(t, map[string]*fakeRepo{repoPublic: miniModel()})
	cache := t.TempDir()
	t.Setenv("HF_ENDPOINT", h.hub.URL)
	t.Setenv("HF_HUB_CACHE", cache)
	t.Setenv("HF_HUB_OFFLINE", "")
	t.Setenv("TRANSFORMERS_OFFLINE", "")
	t.Setenv("HF_TOKEN", testToken)
	opt := OptionsFromEnv()
	assert.Equal(t, h.hub.URL, opt.Endpoint)
	assert.Equal(t, cache, opt.CacheDir)
	dir, err := Resolve(context.Background(), repoPublic, opt)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(dir, cache))
	assert.Positive(t, h.requests())
	assert.Contains(t, h.auth, "Bearer "+testToken)

	t.Setenv("HF_HUB_OFFLINE", "1")
	opt = OptionsFromEnv()
	assert.True(t, opt.Offline)
	_, err = Resolve(context.Background(), "acme/other", opt)
	assert.ErrorIs(t, err, ErrNotCached)
}

func TestResolveAuth(t *testing.T) {
	private := miniModel()
	private.private = true
	h := newFakeHub(t, map[string]*fakeRepo{"acme/private": private})
	cache := t.TempDir()
	opt := Options{CacheDir: cache, Endpoint: h.hub.URL}

	_, err := Resolve(context.Background(), "acme/private", opt)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrUnauthorized)
	assert.Contains(t, err.Error(), "acme/private")
	assert.Contains(t, err.Error(), "set HF_TOKEN")
	assert.Contains(t, err.Error(), "401")

	opt.Token = "hf_wrong"
	_, err = Resolve(context.Background(), "acme/private", opt)
	assert.ErrorIs(t, err, ErrUnauthorized)
	assert.Contains(t, err.Error(), "token in use")
	assert.NotContains(t, err.Error(), "hf_wrong", "the token is never printed")

	opt.Token = testToken
	dir, err := Resolve(context.Background(), "acme/private", opt)
	require.NoError(t, err)
	assert.FileExists(t, filepath.Join(dir, "model.safetensors"))
	assert.Contains(t, h.auth, "Bearer "+testToken)
}

func TestResolveNotFound(t *testing.T) {
	h := newFakeHub(t, map[string]*fakeRepo{repoPublic: miniModel()})
	opt := Options{CacheDir: t.TempDir(), Endpoint: h.hub.URL}

	_, err := Resolve(context.Background(), "acme/missing", opt)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrNotFound)
	assert.Contains(t, err.Error(), "repo acme/missing")
	assert.Contains(t, err.Error(), "does not exist")

	opt.Revision = "v9"
	_, err = Resolve(context.Background(), repoPublic, opt)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrNotFound)
	assert.Contains(t, err.Error(), `revision "v9" does not exist`)
	assert.Contains(t, err.Error(), "Invalid rev id: v9")
}

func TestResolveNetworkError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := Resolve(context.Background(), repoPublic, Options{CacheDir: t.TempDir(), Endpoint: url})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "hub: "+repoPublic+": fetch the file list of revision main")
	assert.Contains(t, err.Error(), "connect")
}

func TestResolveInterruptedThenRetry(t *testing.T) {
	repo := miniModel()
	h := newFakeHub(t, map[string]*fakeRepo{repoPublic: repo})
	cache := t.TempDir()
	storage := filepath.Join(cache, "models--acme--mini-model")
	opt := Options{CacheDir: cache, Endpoint: h.hub.URL}

	for _, cut := range []string{"model.safetensors", "tokenizer.json"} { // via the CDN, then direct
		t.Run(cut, func(t *testing.T) {
			require.NoError(t, os.RemoveAll(storage))
			h.setCut(cut)
			n0 := len(h.resolved())
			_, err := Resolve(context.Background(), repoPublic, opt)
			require.Error(t, err)
			assert.Contains(t, err.Error(), repoPublic)
			assert.Contains(t, err.Error(), "download "+cut+": interrupted after")
			firstRun := h.resolved()[n0:]

			assert.NoFileExists(t, filepath.Join(storage, "refs", "main"))
			snap := filepath.Join(storage, "snapshots", testSHA)
			assert.NoFileExists(t, filepath.Join(snap, cut))
			assert.NoFileExists(t, filepath.Join(snap, "modules.json"), "modules.json is fetched last")
			assert.NoFileExists(t, filepath.Join(snap, "config.json"), "config.json is fetched last but one")
			for _, b := range listDir(t, filepath.Join(storage, "blobs")) {
				assert.False(t, strings.HasSuffix(b, ".incomplete"), "leftover %s", b)
			}
			_, err = Resolve(context.Background(), repoPublic, Options{CacheDir: cache, Offline: true})
			assert.ErrorIs(t, err, ErrNotCached, "an interrupted download does not look cached")

			h.setCut("")
			n1 := len(h.resolved())
			dir, err := Resolve(context.Background(), repoPublic, opt)
			require.NoError(t, err)
			assert.Equal(t, wantSnapshot(repo), snapshotLinks(t, dir))
			got, err := os.ReadFile(filepath.Join(dir, cut))
			require.NoError(t, err)
			assert.Equal(t, repo.files[cut].content, got)
			// The retry fetches only what the first run did not finish.
			retry := h.resolved()[n1:]
			assert.Contains(t, retry, cut)
			finished := firstRun[:len(firstRun)-1]
			require.NotEmpty(t, finished)
			for _, f := range finished {
				assert.NotContains(t, retry, f)
			}
			assert.Len(t, retry, len(wantSnapshot(repo))-len(finished))
		})
	}
}

func TestResolveChecksumMismatch(t *testing.T) {
	bad := miniModel()
	f := bad.files["model.safetensors"]
	f.etag = sha256Hex([]byte("something else"))
	bad.files["model.safetensors"] = f
	g := bad.files["tokenizer.json"]
	g.etag = gitSHA1([]byte("something else"))
	bad.files["tokenizer.json"] = g
	h := newFakeHub(t, map[string]*fakeRepo{"acme/bad": bad})
	cache := t.TempDir()
	_, err := Resolve(context.Background(), "acme/bad", Options{CacheDir: cache, Endpoint: h.hub.URL})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "download model.safetensors: content sha256 "+sha256Hex(f.content)+" does not match the hub's ETag "+f.etag)
	assert.NoFileExists(t, filepath.Join(cache, "models--acme--bad", "blobs", f.etag))

	delete(bad.files, "model.safetensors")
	bad.files["model.safetensors"] = fakeFile{content: f.content, lfs: true}
	_, err = Resolve(context.Background(), "acme/bad", Options{CacheDir: cache, Endpoint: h.hub.URL})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "download tokenizer.json: content git blob sha1")
}

func TestResolveRejectsNonModels(t *testing.T) {
	h := newFakeHub(t, map[string]*fakeRepo{
		"acme/onnx-only": {sha: testSHA, files: map[string]fakeFile{
			"config.json": {content: []byte(`{}`)}, "onnx/model.onnx": {content: []byte("x")},
		}},
		"acme/data": {sha: testSHA, files: map[string]fakeFile{"train.csv": {content: []byte("a,b")}}},
	})
	opt := Options{CacheDir: t.TempDir(), Endpoint: h.hub.URL}
	_, err := Resolve(context.Background(), "acme/onnx-only", opt)
	assert.ErrorContains(t, err, "has no model.safetensors or pytorch_model.bin")
	_, err = Resolve(context.Background(), "acme/data", opt)
	assert.ErrorContains(t, err, "has neither modules.json nor config.json")

	for _, bad := range []string{"../x", "a/b/c", "noslash", "a--b/c", "a/.hidden", "a/b.git", ""} {
		_, err := Resolve(context.Background(), bad, opt)
		assert.ErrorContains(t, err, "repo id", bad)
	}
	opt.Revision = "../../etc"
	_, err = Resolve(context.Background(), repoPublic, opt)
	assert.ErrorContains(t, err, "invalid revision")
}

func TestSelectFiles(t *testing.T) {
	tests := []struct {
		name     string
		siblings []string
		want     []string
	}{
		{
			name: "sentence-transformers layout",
			siblings: []string{
				".gitattributes", "README.md", "modules.json", "config.json", "model.safetensors", "pytorch_model.bin",
				"tf_model.h5", "rust_model.ot", "flax_model.msgpack", "model.gguf", "onnx/model.onnx", "onnx/config.json",
				"openvino/openvino_model.xml", "vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
				"sentence_bert_config.json", "config_sentence_transformers.json", "1_Pooling/config.json",
				"2_Dense/config.json", "2_Dense/pytorch_model.bin", "2_Dense/model.safetensors", "3_Normalize/.keep",
				"data/train.txt", "1_Pooling/sub/config.json",
			},
			want: []string{
				"1_Pooling/config.json", "2_Dense/config.json", "2_Dense/model.safetensors",
				"config_sentence_transformers.json", "model.safetensors", "sentence_bert_config.json",
				"special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt",
				"config.json", "modules.json",
			},
		},
		{
			name:     "bin only, BPE tokenizer",
			siblings: []string{"config.json", "pytorch_model.bin", "vocab.json", "merges.txt", "sentencepiece.bpe.model"},
			want:     []string{"merges.txt", "pytorch_model.bin", "sentencepiece.bpe.model", "vocab.json", "config.json"},
		},
		{
			name:     "sharded safetensors",
			siblings: []string{"config.json", "model.safetensors.index.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "pytorch_model.bin"},
			want:     []string{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json", "config.json"},
		},
		{
			name:     "legacy module folder",
			siblings: []string{"modules.json", "0_Transformer/config.json", "0_Transformer/pytorch_model.bin", "0_Transformer/vocab.txt", "1_Pooling/config.json"},
			want:     []string{"0_Transformer/config.json", "0_Transformer/pytorch_model.bin", "0_Transformer/vocab.txt", "1_Pooling/config.json", "modules.json"},
		},
		{
			name:     "nothing wanted",
			siblings: []string{"README.md", "../config.json", "/config.json", "x_Pooling/config.json"},
			want:     nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, SelectFiles(tc.siblings))
		})
	}
}

func TestLooksLikeRepoID(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	require.NoError(t, os.MkdirAll(filepath.Join("local", "model"), 0o755))
	tests := []struct {
		in   string
		want bool
	}{
		{"sentence-transformers/all-MiniLM-L6-v2", true},
		{"BAAI/bge-small-en-v1.5", true},
		{"intfloat/e5_small.v2", true},
		{"local/model", false}, // an existing folder wins
		{"./model", false},
		{"/abs/path", false},
		{"bert-base-uncased", false}, // no org: treated as a path
		{"a/b/c", false},
		{"org/-name", false},
		{"org/name.", false},
		{"org--x/name", false},
		{"org/na..me", false},
		{"org/name.git", false},
		{"org/na me", false},
		{"org/" + strings.Repeat("x", 97), false},
		{"", false},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, LooksLikeRepoID(tc.in), tc.in)
	}
}

func TestOptionsFromEnv(t *testing.T) {
	tokenDir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(tokenDir, "token"), []byte("hf_fromfile\n"), 0o600))
	other := filepath.Join(tokenDir, "other-token")
	require.NoError(t, os.WriteFile(other, []byte(" hf_other "), 0o600))

	tests := []struct {
		name string
		env  map[string]string
		want Options
	}{
		{
			name: "defaults",
			env:  map[string]string{"HOME": "/home/u"},
			want: Options{CacheDir: "/home/u/.cache/huggingface/hub", Endpoint: "https://huggingface.co", Revision: "main"},
		},
		{
			name: "XDG cache",
			env:  map[string]string{"HOME": "/home/u", "XDG_CACHE_HOME": "/xdg"},
			want: Options{CacheDir: "/xdg/huggingface/hub", Endpoint: "https://huggingface.co", Revision: "main"},
		},
		{
			name: "HF_HOME with token file",
			env:  map[string]string{"HOME": "/home/u", "XDG_CACHE_HOME": "/xdg", "HF_HOME": tokenDir},
			want: Options{CacheDir: tokenDir + "/hub", Endpoint: "https://huggingface.co", Revision: "main", Token: "hf_fromfile"},
		},
		{
			name: "HF_HUB_CACHE, endpoint, token path, offline",
			env: map[string]string{
				"HOME": "/home/u", "HF_HOME": tokenDir, "HF_HUB_CACHE": "~/hubcache", "HF_ENDPOINT": "https://mirror.example/",
				"HF_TOKEN_PATH": other, "HF_HUB_OFFLINE": "yes",
			},
			want: Options{CacheDir: "/home/u/hubcache", Endpoint: "https://mirror.example", Revision: "main", Token: "hf_other", Offline: true},
		},
		{
			name: "legacy cache variable and HF_TOKEN over the file",
			env:  map[string]string{"HOME": "/home/u", "HF_HOME": tokenDir, "HUGGINGFACE_HUB_CACHE": "$HOME/legacy", "HF_TOKEN": "hf_env", "HF_HUB_OFFLINE": "0"},
			want: Options{CacheDir: "/home/u/legacy", Endpoint: "https://huggingface.co", Revision: "main", Token: "hf_env"},
		},
		{
			name: "older token variable, TRANSFORMERS_OFFLINE",
			env:  map[string]string{"HOME": "/home/u", "HUGGING_FACE_HUB_TOKEN": "hf_old", "TRANSFORMERS_OFFLINE": "TRUE"},
			want: Options{CacheDir: "/home/u/.cache/huggingface/hub", Endpoint: "https://huggingface.co", Revision: "main", Token: "hf_old", Offline: true},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := optionsFrom(func(k string) string { return tc.env[k] })
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestLocate(t *testing.T) {
	h := newFakeHub(t, map[string]*fakeRepo{repoPublic: miniModel()})
	local := t.TempDir()
	opt := Options{CacheDir: t.TempDir(), Endpoint: h.hub.URL}

	got, err := Locate(context.Background(), local, opt)
	require.NoError(t, err)
	assert.Equal(t, local, got)
	assert.Equal(t, 0, h.requests(), "a local folder needs no request")

	got, err = Locate(context.Background(), repoPublic, opt)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(opt.CacheDir, "models--acme--mini-model", "snapshots", testSHA), got)

	_, err = Locate(context.Background(), filepath.Join(local, "missing"), opt)
	assert.ErrorContains(t, err, "neither an existing local folder nor an org/name hub model id")
}
