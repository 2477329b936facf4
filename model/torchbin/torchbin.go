// Package torchbin reads PyTorch state dicts saved with torch.save
// (pytorch_model.bin) in pure Go, without Python and without libtorch.
//
// Two layouts are read. The zip layout, the default since PyTorch 1.6, is an
// archive whose entries sit under one top-level folder: <dir>/data.pkl (a
// pickle, protocol 2 by default), one <dir>/data/<key> entry of raw
// little-endian bytes per storage, <dir>/version, and, since PyTorch 2.1,
// <dir>/byteorder ("little" or "big"). The legacy layout (PyTorch < 1.6, or
// _use_new_zipfile_serialization=False) is five pickles in a row: the magic
// number 0x1950a86a20f9469cfc6c, the protocol version 1001, a sys_info dict,
// the object, and the list of storage keys; then each storage in the order of
// that list, as an 8-byte little-endian element count and the raw bytes.
//
// In the object pickle a state dict is a collections.OrderedDict (or a
// dict) of name to tensor. A tensor is a call of
// torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
// requires_grad, hooks[, metadata]), where storage is a persistent id
// ('storage', torch.FloatStorage, key, location, numel);
// torch._utils._rebuild_tensor_v3 adds a dtype for the dtypes that have no
// typed storage class (an UntypedStorage then counts bytes).
// _rebuild_parameter and _rebuild_from_type_v2 wrap those calls.
//
// The unpickler here never imports or runs anything. Globals are resolved
// against an allow-list (collections.OrderedDict, the torch tensor rebuild
// functions, torch storage types and dtypes, torch.Tensor and
// torch.nn.parameter.Parameter); any other global, such as os.system, is an
// error that matches ErrForbiddenGlobal.
package torchbin

import (
	"archive/zip"
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"slices"
	"strings"
)

// ErrFormat is matched (with errors.Is) by every error that reports
// malformed or unsupported file content, as opposed to an I/O failure.
var ErrFormat = errors.New("invalid torch.save data")

// memorySource names an in-memory buffer in errors when ReadBytes gets no name.
const memorySource = "<memory>"

// legacyMagic is the first pickle of a legacy torch.save file.
var legacyMagic, _ = new(big.Int).SetString("1950a86a20f9469cfc6c", 16)

// legacyProtocol is the second pickle of a legacy torch.save file.
const legacyProtocol = 1001

// Tensor is one entry of a state dict.
type Tensor struct {
	Name  string
	DType string // "F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL" (as in safetensors); "U16", "U32", "U64", "F8_E4M3", "F8_E5M2" from PyTorch 2.x
	Shape []int64
	Data  []byte // contiguous, row-major, little-endian; never shared with another Tensor
}

// FormatError describes malformed or unsupported content.
type FormatError struct {
	Source string // the file path, or the name given to ReadBytes
	Tensor string // the state dict key, empty when the problem is not about one tensor
	Err    error
}

// Error formats the error with its source and, when set, the tensor name.
func (e *FormatError) Error() string {
	if e.Tensor != "" {
		return fmt.Sprintf("torchbin %s: tensor %q: %v", e.Source, e.Tensor, e.Err)
	}
	return fmt.Sprintf("torchbin %s: %v", e.Source, e.Err)
}

// Unwrap returns the underlying error (for example ErrForbiddenGlobal).
func (e *FormatError) Unwrap() error { return e.Err }

// Is reports whether target is ErrFormat.
func (e *FormatError) Is(target error) bool { return target == ErrFormat }

// Read reads the torch.save file at path and returns its tensors sorted by
// name. Zip archives are read entry by entry; legacy files are read whole.
func Read(path string) ([]Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("torchbin: open %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("torchbin: stat %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("torchbin: %s is not a regular file", path)
	}
	head := make([]byte, 4)
	n, err := f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("torchbin: read %s: %w", path, err)
	}
	if isZip(head[:n]) {
		return readZip(f, fi.Size(), path)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("torchbin: read %s: %w", path, err)
	}
	return readLegacy(data, path)
}

// ReadBytes reads a torch.save file held in memory; name labels errors. The
// returned tensors do not alias data.
func ReadBytes(data []byte, name string) ([]Tensor, error) {
	if name == "" {
		name = memorySource
	}
	if isZip(data) {
		return readZip(bytes.NewReader(data), int64(len(data)), name)
	}
	return readLegacy(data, name)
}

func isZip(head []byte) bool {
	return bytes.HasPrefix(head, []byte("PK\x03\x04")) || bytes.HasPrefix(head, []byte("PK\x05\x06"))
}

// storageSource gives access to the storages of one file.
type storageSource interface {
	// check cheaply confirms that the storage exists with numel * element
	// size bytes, before anything is read or allocated.
	check(ref storageRef) error
	// load returns the storage's bytes; owned says the caller may keep them.
	load(ref storageRef) (buf []byte, owned bool, err error)
}

// maxDeflateRatio is the most that deflate can expand data (about 1032:1).
const maxDeflateRatio = 1032

// storageBytes is numel * element size, or an error if that overflows.
func storageBytes(ref storageRef) (int64, error) {
	if ref.numel > math.MaxInt/int64(ref.dtype.size) {
		return 0, fmt.Errorf("storage %s of %d elements is too large", ref.key, ref.numel)
	}
	return ref.numel * int64(ref.dtype.size), nil
}

// zipArchive reads the zip layout.
type zipArchive struct {
	files  map[string]*zip.File
	prefix string // "<dir>/"
	size   int64  // of the whole archive
	swap   bool   // byteorder says "big"
}

func readZip(r io.ReaderAt, size int64, src string) ([]Tensor, error) {
	fail := func(err error) ([]Tensor, error) { return nil, &FormatError{Source: src, Err: err} }
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return fail(fmt.Errorf("not a readable zip archive: %w", err))
	}
	if len(zr.File) == 0 {
		return fail(errors.New("zip archive is empty"))
	}
	// Like PyTorch's reader, take the folder of the first entry as the prefix.
	first := zr.File[0].Name
	slash := strings.IndexByte(first, '/')
	if slash <= 0 {
		return fail(fmt.Errorf("zip entry %q is not inside a folder, as torch.save writes them", first))
	}
	z := &zipArchive{files: map[string]*zip.File{}, prefix: first[:slash+1], size: size}
	for _, f := range zr.File {
		if _, dup := z.files[f.Name]; !dup {
			z.files[f.Name] = f
		}
	}
	pklName := z.prefix + "data.pkl"
	pkl, ok := z.files[pklName]
	if !ok {
		return fail(fmt.Errorf("zip archive has no %s (not a torch.save file)", pklName))
	}
	if bo, ok := z.files[z.prefix+"byteorder"]; ok {
		b, err := z.readEntry(bo, 16)
		if err != nil {
			return fail(err)
		}
		switch string(b) {
		case "little":
		case "big":
			z.swap = true
		default:
			return fail(fmt.Errorf("%s says %q, not little or big", bo.Name, b))
		}
	}
	data, err := z.readEntry(pkl, pkl.UncompressedSize64)
	if err != nil {
		return fail(err)
	}
	u := newUnpickler(data, pklName, 0)
	top, err := u.load()
	if err != nil {
		return fail(err)
	}
	return build(top, z, src)
}

// readEntry reads a whole entry of at most limit bytes, checking its CRC.
func (z *zipArchive) readEntry(f *zip.File, limit uint64) ([]byte, error) {
	if f.UncompressedSize64 > limit {
		return nil, fmt.Errorf("zip entry %s has %d bytes, more than the %d expected", f.Name, f.UncompressedSize64, limit)
	}
	if f.Method == zip.Store && (f.CompressedSize64 != f.UncompressedSize64 || f.CompressedSize64 > uint64(z.size)) {
		return nil, fmt.Errorf("zip entry %s: stored size %d, size %d, archive size %d do not agree", f.Name, f.CompressedSize64, f.UncompressedSize64, z.size)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("zip entry %s: %w", f.Name, err)
	}
	defer rc.Close()
	var b []byte
	if f.Method == zip.Store {
		b = make([]byte, f.UncompressedSize64)
		if _, err = io.ReadFull(rc, b); err == nil {
			// Reading on to EOF makes archive/zip check the CRC-32.
			var one [1]byte
			if n, err2 := rc.Read(one[:]); n != 0 || !errors.Is(err2, io.EOF) {
				err = err2
				if err == nil {
					err = errors.New("more data than its declared size")
				}
			}
		}
	} else {
		// Compressed: grow as the data really arrives, never trusting the header.
		b, err = io.ReadAll(io.LimitReader(rc, int64(min(limit, math.MaxInt64-1))+1))
		if err == nil && uint64(len(b)) != f.UncompressedSize64 {
			err = fmt.Errorf("decompressed to %d bytes, header says %d", len(b), f.UncompressedSize64)
		}
	}
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("zip entry %s is truncated: %w", f.Name, err)
		}
		return nil, fmt.Errorf("zip entry %s: %w", f.Name, err)
	}
	return b, nil
}

// entry finds <prefix>data/<key> and checks its declared size.
func (z *zipArchive) entry(ref storageRef) (*zip.File, int64, error) {
	want, err := storageBytes(ref)
	if err != nil {
		return nil, 0, err
	}
	name := z.prefix + "data/" + ref.key
	f, ok := z.files[name]
	if !ok {
		return nil, 0, fmt.Errorf("storage %s is missing from the archive (no entry %s)", ref.key, name)
	}
	if f.UncompressedSize64 != uint64(want) {
		return nil, 0, fmt.Errorf("storage %s: entry %s holds %d bytes, but the pickle declares %d elements of %d bytes", ref.key, name, f.UncompressedSize64, ref.numel, ref.dtype.size)
	}
	if (f.Method == zip.Store && f.CompressedSize64 != f.UncompressedSize64) || f.CompressedSize64 > uint64(z.size) ||
		f.UncompressedSize64/maxDeflateRatio > f.CompressedSize64 {
		return nil, 0, fmt.Errorf("storage %s: entry %s of %d bytes cannot hold %d bytes in an archive of %d", ref.key, name, f.CompressedSize64, f.UncompressedSize64, z.size)
	}
	return f, want, nil
}

func (z *zipArchive) check(ref storageRef) error {
	_, _, err := z.entry(ref)
	return err
}

// load reads <prefix>data/<key>.
func (z *zipArchive) load(ref storageRef) ([]byte, bool, error) {
	f, want, err := z.entry(ref)
	if err != nil {
		return nil, false, err
	}
	b, err := z.readEntry(f, uint64(want))
	if err != nil {
		return nil, false, fmt.Errorf("storage %s: %w", ref.key, err)
	}
	if z.swap {
		if ref.untyped {
			return nil, false, fmt.Errorf("storage %s: a big-endian untyped storage cannot be byte-swapped without its dtype", ref.key)
		}
		swapBytes(b, ref.dtype.size)
	}
	return b, true, nil
}

// swapBytes reverses the bytes of each size-byte element of b in place.
func swapBytes(b []byte, size int) {
	if size == 1 {
		return
	}
	for i := 0; i+size <= len(b); i += size {
		slices.Reverse(b[i : i+size])
	}
}

// readLegacy reads the pre-1.6 layout.
func readLegacy(data []byte, src string) ([]Tensor, error) {
	fail := func(err error) ([]Tensor, error) { return nil, &FormatError{Source: src, Err: err} }
	switch {
	case len(data) == 0:
		return fail(errors.New("file is empty"))
	case len(data) >= 262 && string(data[257:262]) == "ustar":
		return fail(errors.New("tar-based torch.save format (PyTorch < 0.4) is not supported: re-save it with PyTorch >= 1.6"))
	case data[0] != 0x80:
		return fail(fmt.Errorf("not a zip archive or a torch.save pickle (starts with %q)", data[:min(len(data), 8)]))
	}
	u := newUnpickler(data, "pickle", 0)
	magic, err := u.load()
	if err != nil {
		return fail(err)
	}
	if m, ok := magic.(*big.Int); !ok || m.Cmp(legacyMagic) != 0 {
		return fail(fmt.Errorf("not a torch.save file: the first pickle is %s, not the legacy magic number", describe(magic)))
	}
	proto, err := u.load()
	if err != nil {
		return fail(err)
	}
	if p, ok := proto.(int64); !ok || p != legacyProtocol {
		return fail(fmt.Errorf("legacy torch.save protocol %s, want %d", describe(proto), legacyProtocol))
	}
	sysInfo, err := u.load()
	if err != nil {
		return fail(err)
	}
	info, ok := sysInfo.(*pyDict)
	if !ok {
		return fail(fmt.Errorf("legacy sys_info is %s, not a dict", aType(sysInfo)))
	}
	if i, ok := info.index["little_endian"]; ok && info.vals[i] != true {
		return fail(errors.New("big-endian legacy torch.save files are not supported"))
	}
	var pids []*pyPID
	u.onPID = func(p *pyPID) { pids = append(pids, p) }
	top, err := u.load()
	if err != nil {
		return fail(err)
	}
	u.onPID = nil
	keysVal, err := u.load()
	if err != nil {
		return fail(err)
	}
	keys, ok := keysVal.(*pyList)
	if !ok {
		return fail(fmt.Errorf("legacy storage key list is %s, not a list", aType(keysVal)))
	}
	refs := map[string]storageRef{}
	for _, p := range pids {
		ref, err := parseStorage(p)
		if err != nil {
			return fail(err)
		}
		if old, seen := refs[ref.key]; seen && (old.dtype != ref.dtype || old.numel != ref.numel) {
			return fail(fmt.Errorf("storage %s is declared twice, as %d %s and as %d %s", ref.key, old.numel, old.dtype.name, ref.numel, ref.dtype.name))
		}
		refs[ref.key] = ref
	}
	stored := map[string][]byte{}
	pos := u.pos
	for i, k := range keys.items {
		key, ok := asString(k)
		if !ok {
			return fail(fmt.Errorf("legacy storage key %d is %s, not a string", i, aType(k)))
		}
		ref, ok := refs[key]
		if !ok {
			return fail(fmt.Errorf("legacy storage key %s is not used by the pickle", key))
		}
		if _, dup := stored[key]; dup {
			return fail(fmt.Errorf("legacy storage key %s is listed twice", key))
		}
		want, err := storageBytes(ref)
		if err != nil {
			return fail(err)
		}
		if len(data)-pos < 8 {
			return fail(fmt.Errorf("storage %s at offset %d: truncated file, no 8-byte element count", key, pos))
		}
		numel := int64(binary.LittleEndian.Uint64(data[pos:]))
		if numel != ref.numel {
			return fail(fmt.Errorf("storage %s at offset %d: holds %d elements, the pickle declares %d", key, pos, numel, ref.numel))
		}
		pos += 8
		if int64(len(data)-pos) < want {
			return fail(fmt.Errorf("storage %s at offset %d: truncated file, %d bytes left of %d", key, pos, len(data)-pos, want))
		}
		stored[key] = data[pos : pos+int(want)]
		pos += int(want)
	}
	return build(top, legacyStorages(stored), src)
}

// legacyStorages are the storages of a legacy file, already checked against
// their persistent ids; the slices alias the input.
type legacyStorages map[string][]byte

func (l legacyStorages) check(ref storageRef) error {
	if _, ok := l[ref.key]; !ok {
		return fmt.Errorf("storage %s is missing from the file", ref.key)
	}
	return nil
}

func (l legacyStorages) load(ref storageRef) ([]byte, bool, error) {
	if err := l.check(ref); err != nil {
		return nil, false, err
	}
	return l[ref.key], false, nil
}

// entry is one checked state-dict item.
type entry struct {
	name string
	spec tensorSpec
	lay  layout
}

// build turns the unpickled state dict into tensors.
func build(top any, source storageSource, src string) ([]Tensor, error) {
	d, ok := top.(*pyDict)
	if !ok {
		return nil, &FormatError{Source: src, Err: fmt.Errorf("the pickle holds %s, not a dict of tensors", aType(top))}
	}
	entries := make([]entry, 0, len(d.keys))
	storages := map[string]storageRef{} // first reference of each key
	var storageTotal, outTotal int64
	for i, k := range d.keys {
		name, ok := asString(k)
		if !ok {
			return nil, &FormatError{Source: src, Err: fmt.Errorf("state dict key %s is not a string", describe(k))}
		}
		fail := func(err error) ([]Tensor, error) { return nil, &FormatError{Source: src, Tensor: name, Err: err} }
		spec, err := resolveTensor(d.vals[i], 0)
		if err != nil {
			return fail(err)
		}
		ref := spec.storage
		if old, seen := storages[ref.key]; seen {
			if old.dtype != ref.dtype || old.numel != ref.numel {
				return fail(fmt.Errorf("storage %s is used as %d %s and as %d %s", ref.key, old.numel, old.dtype.name, ref.numel, ref.dtype.name))
			}
		} else {
			nb, err := storageBytes(ref)
			if err != nil {
				return fail(err)
			}
			// The size limits below rely on nb, so confirm it first.
			if err := source.check(ref); err != nil {
				return fail(err)
			}
			storages[ref.key] = ref
			storageTotal += nb
		}
		lay, err := checkLayout(spec)
		if err != nil {
			return fail(err)
		}
		nb, _ := storageBytes(ref)
		if lay.need > nb {
			return fail(fmt.Errorf("storage %s holds %d bytes (%d elements), but offset %d, size %v and stride %v reach byte %d",
				ref.key, nb, ref.numel, spec.offset, spec.shape, spec.stride, lay.need))
		}
		if int64(lay.nbytes) > nb && lay.nbytes > maxExpandedBytes {
			return fail(fmt.Errorf("size %v with stride %v expands %d storage bytes to %d, more than the %d allowed",
				spec.shape, spec.stride, nb, lay.nbytes, maxExpandedBytes))
		}
		outTotal += int64(lay.nbytes)
		if outTotal > 8*storageTotal+maxExpandedBytes {
			return fail(fmt.Errorf("the tensors so far need %d bytes from %d bytes of storage: too many views of the same data", outTotal, storageTotal))
		}
		entries = append(entries, entry{name: name, spec: spec, lay: lay})
	}
	// Read each storage once, make its tensors, and let it go.
	slices.SortStableFunc(entries, func(a, b entry) int { return cmp.Compare(a.spec.storage.key, b.spec.storage.key) })
	out := make([]Tensor, 0, len(entries))
	for i := 0; i < len(entries); {
		key := entries[i].spec.storage.key
		buf, owned, err := source.load(entries[i].spec.storage)
		if err != nil {
			return nil, &FormatError{Source: src, Tensor: entries[i].name, Err: err}
		}
		// One tensor that covers the whole storage may keep buf itself: the
		// others copy from it before build returns, so nothing is shared.
		claimed := !owned
		for ; i < len(entries) && entries[i].spec.storage.key == key; i++ {
			e := entries[i]
			t := Tensor{Name: e.name, DType: e.spec.dtype.name, Shape: e.spec.shape}
			if !claimed && e.lay.contig && e.spec.offset == 0 && e.lay.nbytes == len(buf) {
				t.Data, claimed = buf, true
			} else {
				t.Data = materialize(e.spec, e.lay, buf)
			}
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b Tensor) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}
