// Package hub resolves Hugging Face hub model names, such as
// "sentence-transformers/all-MiniLM-L6-v2", to a local folder, downloading the
// files a sentence-transformers model needs when they are not cached.
//
// The cache uses the hub's own layout, shared with Python's huggingface_hub:
//
//	{cache}/models--{org}--{name}/refs/{revision}        the commit sha of a branch or tag
//	{cache}/models--{org}--{name}/blobs/{etag}           file contents, named by their ETag
//	{cache}/models--{org}--{name}/snapshots/{sha}/{path} relative symlinks to ../../blobs/{etag}
//
// Resolve looks in the cache first and makes no request when the model is
// there; it does not check whether a branch has moved upstream (pass a commit
// sha as the revision, or delete refs/{revision}, to pick up a newer commit).
package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// DefaultEndpoint is the hub used when neither Options.Endpoint nor
// HF_ENDPOINT is set.
const DefaultEndpoint = "https://huggingface.co"

// DefaultRevision is the revision used when Options.Revision is empty.
const DefaultRevision = "main"

// Errors that Resolve wraps, for callers that branch on the cause.
var (
	// ErrNotCached: offline mode is on and the model is not in the cache.
	ErrNotCached = errors.New("model not in the local hub cache")
	// ErrUnauthorized: the hub refused the request (401/403); a token is missing, wrong or lacks access.
	ErrUnauthorized = errors.New("hub access denied")
	// ErrNotFound: the repo, revision or file does not exist on the hub (404).
	ErrNotFound = errors.New("not found on the hub")
)

// Options configures Resolve. OptionsFromEnv fills it the way huggingface_hub
// reads its environment.
type Options struct {
	CacheDir string       // default: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub
	Endpoint string       // default: $HF_ENDPOINT, else https://huggingface.co
	Token    string       // sent as "Authorization: Bearer"; OptionsFromEnv reads $HF_TOKEN or the token file
	Revision string       // branch, tag or commit sha; default "main"
	Offline  bool         // never touch the network (HF_HUB_OFFLINE=1)
	Progress io.Writer    // where a progress bar per file goes; nil for none
	Client   *http.Client // default http.DefaultClient
}

// getenvFunc looks up an environment variable.
type getenvFunc func(string) string

// OptionsFromEnv returns Options filled from the environment as
// huggingface_hub reads it: HF_HUB_CACHE (or the older HUGGINGFACE_HUB_CACHE),
// HF_HOME, XDG_CACHE_HOME, HF_ENDPOINT, HF_TOKEN (or HUGGING_FACE_HUB_TOKEN,
// else the file at HF_TOKEN_PATH or $HF_HOME/token) and HF_HUB_OFFLINE (or
// TRANSFORMERS_OFFLINE). Progress and Client are left nil.
func OptionsFromEnv() Options {
	return optionsFrom(os.Getenv)
}

func optionsFrom(getenv getenvFunc) Options {
	home := hfHome(getenv)
	opt := Options{
		CacheDir: defaultCacheDir(getenv),
		Endpoint: strings.TrimRight(getenv("HF_ENDPOINT"), "/"),
		Revision: DefaultRevision,
		Offline:  isTrue(getenv("HF_HUB_OFFLINE")) || isTrue(getenv("TRANSFORMERS_OFFLINE")),
	}
	if opt.Endpoint == "" {
		opt.Endpoint = DefaultEndpoint
	}
	opt.Token = strings.TrimSpace(getenv("HF_TOKEN"))
	if opt.Token == "" {
		opt.Token = strings.TrimSpace(getenv("HUGGING_FACE_HUB_TOKEN"))
	}
	if opt.Token == "" {
		tokenPath := expandPath(getenv("HF_TOKEN_PATH"), getenv)
		if tokenPath == "" {
			tokenPath = filepath.Join(home, "token")
		}
		if b, err := os.ReadFile(tokenPath); err == nil {
			opt.Token = strings.TrimSpace(string(b))
		}
	}
	return opt
}

// isTrue reports whether an environment value means "on", as huggingface_hub
// reads booleans ("1", "ON", "YES", "TRUE", any case).
func isTrue(v string) bool {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "1", "ON", "YES", "TRUE":
		return true
	}
	return false
}

// expandPath expands $VARS and a leading "~" in an environment-given path.
func expandPath(p string, getenv getenvFunc) string {
	if p == "" {
		return ""
	}
	p = os.Expand(p, getenv)
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home := userHome(getenv); home != "" {
			p = filepath.Join(home, p[1:])
		}
	}
	return p
}

func userHome(getenv getenvFunc) string {
	if h := getenv("HOME"); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}

// hfHome is $HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface.
func hfHome(getenv getenvFunc) string {
	if h := expandPath(getenv("HF_HOME"), getenv); h != "" {
		return h
	}
	if x := expandPath(getenv("XDG_CACHE_HOME"), getenv); x != "" {
		return filepath.Join(x, "huggingface")
	}
	return filepath.Join(userHome(getenv), ".cache", "huggingface")
}

func defaultCacheDir(getenv getenvFunc) string {
	if c := expandPath(getenv("HF_HUB_CACHE"), getenv); c != "" {
		return c
	}
	if c := expandPath(getenv("HUGGINGFACE_HUB_CACHE"), getenv); c != "" {
		return c
	}
	return filepath.Join(hfHome(getenv), "hub")
}

// withDefaults fills the empty fields that have a fixed default. Token and
// Offline are used as given.
func (o Options) withDefaults() Options {
	if o.CacheDir == "" {
		o.CacheDir = defaultCacheDir(os.Getenv)
	}
	if o.Endpoint == "" {
		o.Endpoint = strings.TrimRight(os.Getenv("HF_ENDPOINT"), "/")
	}
	if o.Endpoint == "" {
		o.Endpoint = DefaultEndpoint
	}
	o.Endpoint = strings.TrimRight(o.Endpoint, "/")
	if o.Revision == "" {
		o.Revision = DefaultRevision
	}
	if o.Client == nil {
		o.Client = http.DefaultClient
	}
	return o
}

var (
	repoPartRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,96}$`)
	commitRE   = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// ValidateRepoID checks that s is a hub model id of the form "org/name"
// (letters, digits, '-', '_', '.'; neither part starts or ends with '-' or
// '.'; no "--" or ".."; at most 96 characters a part).
func ValidateRepoID(s string) error {
	org, name, ok := strings.Cut(s, "/")
	if !ok || strings.Contains(name, "/") {
		return fmt.Errorf("hub: repo id %q must have the form org/name", s)
	}
	for _, part := range []string{org, name} {
		if !repoPartRE.MatchString(part) ||
			strings.HasPrefix(part, "-") || strings.HasPrefix(part, ".") ||
			strings.HasSuffix(part, "-") || strings.HasSuffix(part, ".") {
			return fmt.Errorf("hub: repo id %q: %q must use letters, digits, '-', '_' or '.', and not start or end with '-' or '.'", s, part)
		}
	}
	if strings.Contains(s, "--") || strings.Contains(s, "..") {
		return fmt.Errorf("hub: repo id %q must not contain \"--\" or \"..\"", s)
	}
	if strings.HasSuffix(s, ".git") {
		return fmt.Errorf("hub: repo id %q must not end in .git", s)
	}
	return nil
}

// LooksLikeRepoID reports whether s is a valid "org/name" hub model id and
// not an existing local path, so a CLI argument can be either.
func LooksLikeRepoID(s string) bool {
	if ValidateRepoID(s) != nil {
		return false
	}
	_, err := os.Lstat(s)
	return errors.Is(err, os.ErrNotExist)
}

// validateRevision rejects revisions that could escape refs/ when used as a path.
func validateRevision(rev string) error {
	if rev == "" || strings.HasPrefix(rev, "/") || strings.ContainsAny(rev, "\\\x00") {
		return fmt.Errorf("hub: invalid revision %q", rev)
	}
	for _, seg := range strings.Split(rev, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("hub: invalid revision %q", rev)
		}
	}
	return nil
}

// RepoFolder returns the cache folder of a model repo:
// {cacheDir}/models--{org}--{name}.
func RepoFolder(cacheDir, repoID string) string {
	return filepath.Join(cacheDir, "models--"+strings.ReplaceAll(repoID, "/", "--"))
}

// cachedSnapshot returns the snapshot folder for revision when the cache
// holds a usable one: the revision maps to a commit (directly, or through
// refs/{revision}) whose snapshot has modules.json or config.json and a
// weights file. The second result explains what is missing otherwise.
func cachedSnapshot(storage, revision string) (string, string) {
	commit := revision
	if !commitRE.MatchString(revision) {
		b, err := os.ReadFile(filepath.Join(storage, "refs", filepath.FromSlash(revision)))
		if err != nil {
			return "", fmt.Sprintf("no refs/%s in %s", revision, storage)
		}
		commit = strings.TrimSpace(string(b))
		if !commitRE.MatchString(commit) {
			return "", fmt.Sprintf("refs/%s in %s does not hold a commit sha", revision, storage)
		}
	}
	snap := filepath.Join(storage, "snapshots", commit)
	if !isFile(filepath.Join(snap, "modules.json")) && !isFile(filepath.Join(snap, "config.json")) {
		return "", fmt.Sprintf("snapshot %s has neither modules.json nor config.json", snap)
	}
	if !hasWeights(snap) {
		return "", fmt.Sprintf("snapshot %s has no model.safetensors or pytorch_model.bin", snap)
	}
	return snap, ""
}

// isFile reports whether p (following symlinks) is a regular file.
func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// hasWeights reports whether a snapshot has weights at its root or in a
// module folder (N_Name/), as old sentence-transformers layouts keep the
// transformer in 0_Transformer/.
func hasWeights(snap string) bool {
	dirs := []string{snap}
	if entries, err := os.ReadDir(snap); err == nil {
		for _, e := range entries {
			if moduleDirRE.MatchString(e.Name()) {
				dirs = append(dirs, filepath.Join(snap, e.Name()))
			}
		}
	}
	for _, d := range dirs {
		for _, w := range []string{"model.safetensors", "model.safetensors.index.json", "pytorch_model.bin"} {
			if isFile(filepath.Join(d, w)) {
				return true
			}
		}
	}
	return false
}

// Locate returns nameOrPath itself when it is an existing local path, and
// otherwise resolves it as an "org/name" hub model id with Resolve.
func Locate(ctx context.Context, nameOrPath string, opt Options) (string, error) {
	if _, err := os.Stat(nameOrPath); err == nil {
		return nameOrPath, nil
	}
	if err := ValidateRepoID(nameOrPath); err != nil {
		return "", fmt.Errorf("hub: %q is neither an existing local folder nor an org/name hub model id", nameOrPath)
	}
	return Resolve(ctx, nameOrPath, opt)
}
