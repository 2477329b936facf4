package torchbin

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"unicode/utf8"
)

// ErrForbiddenGlobal is matched (with errors.Is) by the error for a pickle
// that names a global outside the allow-list, such as os.system.
var ErrForbiddenGlobal = errors.New("pickle global not allowed")

// maxLongBytes bounds the length of a LONG1/LONG4 integer. The largest one a
// torch.save file holds is the 10-byte legacy magic number.
const maxLongBytes = 64

// Python values, as far as these files need them. None is nil, bool is bool,
// int is int64 (or *big.Int when it does not fit), float is float64, str is
// string.
type (
	// pyTuple is a Python tuple.
	pyTuple []any
	// pyBytes is a Python bytes value (or a protocol-2 py2 str).
	pyBytes string
	// pyList is a Python list; a pointer, since APPEND mutates it in place.
	pyList struct{ items []any }
	// pyDict is a dict or an OrderedDict, in insertion order.
	pyDict struct {
		ordered bool
		keys    []any
		vals    []any
		index   map[any]int
	}
	// pyGlobal is a module attribute that passed the allow-list.
	pyGlobal struct {
		module, name string
		kind         globalKind
	}
	// pyCall records a call of an allow-listed tensor rebuild function; its
	// arguments are checked later, when the dict key is known.
	pyCall struct {
		fn   pyGlobal
		args pyTuple
		at   int // offset of the REDUCE opcode
	}
	// pyPID is a persistent id (a storage reference), also checked later.
	pyPID struct {
		id any
		at int // offset of the BINPERSID opcode
	}
)

func (g pyGlobal) String() string { return g.module + "." + g.name }

// globalKind says what an allow-listed global is good for.
type globalKind int

const (
	kindOrderedDict globalKind = iota + 1 // collections.OrderedDict: REDUCE with () makes an empty dict
	kindRebuild                           // torch._utils._rebuild_*: REDUCE makes a pyCall
	kindStorage                           // torch.FloatStorage, ...: only named in persistent ids
	kindDType                             // torch.float16, ...: an argument of _rebuild_tensor_v3
	kindTensorType                        // torch.Tensor, torch.nn.parameter.Parameter: for _rebuild_from_type_v2
)

// lookupGlobal resolves module.name against the allow-list. Nothing is ever
// imported or executed: the result is only a tag.
func lookupGlobal(module, name string) (pyGlobal, error) {
	g := pyGlobal{module: module, name: name}
	full := g.String()
	switch full {
	case "collections.OrderedDict":
		g.kind = kindOrderedDict
	case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3",
		"torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
		"torch._tensor._rebuild_from_type_v2":
		g.kind = kindRebuild
	case "torch.Tensor", "torch.nn.parameter.Parameter":
		g.kind = kindTensorType
	case "torch.UntypedStorage", "torch.storage.UntypedStorage":
		g.kind = kindStorage
	default:
		if module == "torch" {
			if _, ok := storageDTypes[name]; ok {
				g.kind = kindStorage
			} else if _, ok := torchDTypes[name]; ok {
				g.kind = kindDType
			}
		}
	}
	if g.kind == 0 {
		return g, fmt.Errorf("%w: %s (only collections.OrderedDict, torch tensor rebuild functions, storage types and dtypes are accepted)", ErrForbiddenGlobal, full)
	}
	return g, nil
}

// opNames names the opcodes of pickle protocols 0 to 5, for error messages.
var opNames = map[byte]string{
	'(': "MARK", '.': "STOP", '0': "POP", '1': "POP_MARK", '2': "DUP", 'F': "FLOAT", 'I': "INT",
	'J': "BININT", 'K': "BININT1", 'L': "LONG", 'M': "BININT2", 'N': "NONE", 'P': "PERSID",
	'Q': "BINPERSID", 'R': "REDUCE", 'S': "STRING", 'T': "BINSTRING", 'U': "SHORT_BINSTRING",
	'V': "UNICODE", 'X': "BINUNICODE", 'a': "APPEND", 'b': "BUILD", 'c': "GLOBAL", 'd': "DICT",
	'}': "EMPTY_DICT", 'e': "APPENDS", 'g': "GET", 'h': "BINGET", 'i': "INST", 'j': "LONG_BINGET",
	'l': "LIST", ']': "EMPTY_LIST", 'o': "OBJ", 'p': "PUT", 'q': "BINPUT", 'r': "LONG_BINPUT",
	's': "SETITEM", 't': "TUPLE", ')': "EMPTY_TUPLE", 'u': "SETITEMS", 'G': "BINFLOAT",
	0x80: "PROTO", 0x81: "NEWOBJ", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4", 0x85: "TUPLE1",
	0x86: "TUPLE2", 0x87: "TUPLE3", 0x88: "NEWTRUE", 0x89: "NEWFALSE", 0x8a: "LONG1", 0x8b: "LONG4",
	'B': "BINBYTES", 'C': "SHORT_BINBYTES", 0x8c: "SHORT_BINUNICODE", 0x8d: "BINUNICODE8",
	0x8e: "BINBYTES8", 0x8f: "EMPTY_SET", 0x90: "ADDITEMS", 0x91: "FROZENSET", 0x92: "NEWOBJ_EX",
	0x93: "STACK_GLOBAL", 0x94: "MEMOIZE", 0x95: "FRAME", 0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER",
	0x98: "READONLY_BUFFER",
}

// unpickler is a stack machine for the subset of pickle that torch.save
// writes. It never imports or calls anything: GLOBAL resolves names against
// an allow-list, and REDUCE only records calls of the tensor rebuild
// functions (pyCall) or makes an empty OrderedDict.
type unpickler struct {
	data      []byte
	pos       int
	where     string // "data.pkl" or "pickle", for error messages
	base      int    // offset of data within the file, for error messages
	stack     []any
	metastack [][]any
	memo      map[int]any
	op        int // offset of the opcode being run

	onPID func(*pyPID) // when set, sees every persistent id
}

func newUnpickler(data []byte, where string, base int) *unpickler {
	return &unpickler{data: data, where: where, base: base, memo: map[int]any{}}
}

// errf makes an error that names the current opcode's offset.
func (u *unpickler) errf(format string, args ...any) error {
	return fmt.Errorf("%s offset %d: %s", u.where, u.base+u.op, fmt.Sprintf(format, args...))
}

// wrapf is errf for an error that should stay matchable with errors.Is.
func (u *unpickler) wrapf(err error) error {
	return fmt.Errorf("%s offset %d: %w", u.where, u.base+u.op, err)
}

func (u *unpickler) read(n int) ([]byte, error) {
	if n < 0 || n > len(u.data)-u.pos {
		return nil, u.errf("truncated pickle: %s needs %d more bytes, %d left", opName(u.data[u.op]), n, len(u.data)-u.pos)
	}
	b := u.data[u.pos : u.pos+n]
	u.pos += n
	return b, nil
}

// readLen reads an n-byte little-endian length and checks it against what is left.
func (u *unpickler) readLen(n int) (int, error) {
	b, err := u.read(n)
	if err != nil {
		return 0, err
	}
	var v uint64
	switch n {
	case 1:
		v = uint64(b[0])
	case 4:
		v = uint64(binary.LittleEndian.Uint32(b))
	case 8:
		v = binary.LittleEndian.Uint64(b)
	}
	if v > uint64(len(u.data)-u.pos) {
		return 0, u.errf("truncated pickle: %s of %d bytes, only %d left", opName(u.data[u.op]), v, len(u.data)-u.pos)
	}
	return int(v), nil
}

func (u *unpickler) readLine() (string, error) {
	for i := u.pos; i < len(u.data); i++ {
		if u.data[i] == '\n' {
			s := string(u.data[u.pos:i])
			u.pos = i + 1
			return s, nil
		}
	}
	return "", u.errf("truncated pickle: %s without a newline", opName(u.data[u.op]))
}

func (u *unpickler) push(v any) { u.stack = append(u.stack, v) }

func (u *unpickler) pop() (any, error) {
	if len(u.stack) == 0 {
		return nil, u.errf("stack underflow in %s", opName(u.data[u.op]))
	}
	v := u.stack[len(u.stack)-1]
	u.stack = u.stack[:len(u.stack)-1]
	return v, nil
}

func (u *unpickler) top() (any, error) {
	if len(u.stack) == 0 {
		return nil, u.errf("stack underflow in %s", opName(u.data[u.op]))
	}
	return u.stack[len(u.stack)-1], nil
}

// popMark returns the items pushed since the last MARK and restores the
// stack as it was before that MARK.
func (u *unpickler) popMark() ([]any, error) {
	if len(u.metastack) == 0 {
		return nil, u.errf("%s without a MARK", opName(u.data[u.op]))
	}
	items := u.stack
	u.stack = u.metastack[len(u.metastack)-1]
	u.metastack = u.metastack[:len(u.metastack)-1]
	return items, nil
}

func opName(op byte) string {
	if n, ok := opNames[op]; ok {
		return n
	}
	return fmt.Sprintf("opcode 0x%02x", op)
}

// load runs the pickle from u.pos up to and including its STOP opcode and
// returns the value on top of the stack. persistentLoad handles BINPERSID.
func (u *unpickler) load() (any, error) {
	u.stack, u.metastack = nil, nil
	u.memo = map[int]any{} // each pickle has its own memo
	for {
		if u.pos >= len(u.data) {
			return nil, fmt.Errorf("%s offset %d: truncated pickle: no STOP opcode", u.where, u.base+u.pos)
		}
		u.op = u.pos
		op := u.data[u.pos]
		u.pos++
		if op == '.' {
			if len(u.metastack) != 0 {
				return nil, u.errf("STOP with an open MARK")
			}
			v, err := u.pop()
			if err != nil {
				return nil, err
			}
			return v, nil
		}
		if err := u.step(op); err != nil {
			return nil, err
		}
	}
}

// step runs one opcode other than STOP.
func (u *unpickler) step(op byte) error {
	switch op {
	case 0x80: // PROTO
		b, err := u.read(1)
		if err != nil {
			return err
		}
		if b[0] > 5 {
			return u.errf("unsupported pickle protocol %d", b[0])
		}
	case 0x95: // FRAME: a length prefix that changes nothing for an in-memory reader
		if _, err := u.read(8); err != nil {
			return err
		}
	case '(': // MARK
		u.metastack = append(u.metastack, u.stack)
		u.stack = nil
	case '0': // POP
		_, err := u.pop()
		return err
	case '1': // POP_MARK
		_, err := u.popMark()
		return err
	case '2': // DUP
		v, err := u.top()
		if err != nil {
			return err
		}
		u.push(v)
	case 'N':
		u.push(nil)
	case 0x88:
		u.push(true)
	case 0x89:
		u.push(false)
	case 'J': // BININT
		b, err := u.read(4)
		if err != nil {
			return err
		}
		u.push(int64(int32(binary.LittleEndian.Uint32(b))))
	case 'K': // BININT1
		b, err := u.read(1)
		if err != nil {
			return err
		}
		u.push(int64(b[0]))
	case 'M': // BININT2
		b, err := u.read(2)
		if err != nil {
			return err
		}
		u.push(int64(binary.LittleEndian.Uint16(b)))
	case 0x8a, 0x8b: // LONG1, LONG4
		size := 1
		if op == 0x8b {
			size = 4
		}
		n, err := u.readLen(size)
		if err != nil {
			return err
		}
		if n > maxLongBytes {
			return u.errf("%s integer of %d bytes is too large", opName(op), n)
		}
		b, _ := u.read(n)
		u.push(decodeLong(b))
	case 'G': // BINFLOAT, big-endian
		b, err := u.read(8)
		if err != nil {
			return err
		}
		u.push(math.Float64frombits(binary.BigEndian.Uint64(b)))
	case 'X', 0x8c, 0x8d: // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
		n, err := u.readLen(lenSize(op))
		if err != nil {
			return err
		}
		b, _ := u.read(n)
		if !utf8.Valid(b) {
			return u.errf("%s is not valid UTF-8", opName(op))
		}
		u.push(string(b))
	case 'T', 'U', 'B', 'C', 0x8e: // BINSTRING, SHORT_BINSTRING, BINBYTES, SHORT_BINBYTES, BINBYTES8
		n, err := u.readLen(lenSize(op))
		if err != nil {
			return err
		}
		b, _ := u.read(n)
		u.push(pyBytes(b))
	case ')':
		u.push(pyTuple{})
	case 't':
		items, err := u.popMark()
		if err != nil {
			return err
		}
		u.push(pyTuple(append([]any(nil), items...)))
	case 0x85, 0x86, 0x87: // TUPLE1, TUPLE2, TUPLE3
		n := int(op-0x85) + 1
		if len(u.stack) < n {
			return u.errf("stack underflow in %s", opName(op))
		}
		t := append(pyTuple(nil), u.stack[len(u.stack)-n:]...)
		u.stack = u.stack[:len(u.stack)-n]
		u.push(t)
	case ']':
		u.push(&pyList{})
	case 'l': // LIST
		items, err := u.popMark()
		if err != nil {
			return err
		}
		u.push(&pyList{items: append([]any(nil), items...)})
	case '}':
		u.push(&pyDict{})
	case 'd': // DICT
		items, err := u.popMark()
		if err != nil {
			return err
		}
		d := &pyDict{}
		if err := u.setItems(d, items); err != nil {
			return err
		}
		u.push(d)
	case 'a': // APPEND
		v, err := u.pop()
		if err != nil {
			return err
		}
		return u.appendTo([]any{v})
	case 'e': // APPENDS
		items, err := u.popMark()
		if err != nil {
			return err
		}
		return u.appendTo(items)
	case 's': // SETITEM
		if len(u.stack) < 3 {
			return u.errf("stack underflow in SETITEM")
		}
		kv := u.stack[len(u.stack)-2:]
		u.stack = u.stack[:len(u.stack)-2]
		d, ok := u.stack[len(u.stack)-1].(*pyDict)
		if !ok {
			return u.errf("SETITEM on %s, not a dict", typeName(u.stack[len(u.stack)-1]))
		}
		return u.setItems(d, kv)
	case 'u': // SETITEMS
		items, err := u.popMark()
		if err != nil {
			return err
		}
		t, err := u.top()
		if err != nil {
			return err
		}
		d, ok := t.(*pyDict)
		if !ok {
			return u.errf("SETITEMS on %s, not a dict", typeName(t))
		}
		return u.setItems(d, items)
	case 'q', 'r': // BINPUT, LONG_BINPUT
		size := 1
		if op == 'r' {
			size = 4
		}
		b, err := u.read(size)
		if err != nil {
			return err
		}
		v, err := u.top()
		if err != nil {
			return err
		}
		u.memo[memoIndex(b)] = v
	case 0x94: // MEMOIZE
		v, err := u.top()
		if err != nil {
			return err
		}
		u.memo[len(u.memo)] = v
	case 'h', 'j': // BINGET, LONG_BINGET
		size := 1
		if op == 'j' {
			size = 4
		}
		b, err := u.read(size)
		if err != nil {
			return err
		}
		v, ok := u.memo[memoIndex(b)]
		if !ok {
			return u.errf("%s of memo entry %d, which does not exist", opName(op), memoIndex(b))
		}
		u.push(v)
	case 'c': // GLOBAL
		module, err := u.readLine()
		if err != nil {
			return err
		}
		name, err := u.readLine()
		if err != nil {
			return err
		}
		g, err := lookupGlobal(module, name)
		if err != nil {
			return u.wrapf(err)
		}
		u.push(g)
	case 0x93: // STACK_GLOBAL
		if len(u.stack) < 2 {
			return u.errf("stack underflow in STACK_GLOBAL")
		}
		module, ok1 := u.stack[len(u.stack)-2].(string)
		name, ok2 := u.stack[len(u.stack)-1].(string)
		if !ok1 || !ok2 {
			return u.errf("STACK_GLOBAL of %s and %s, not two strings", typeName(u.stack[len(u.stack)-2]), typeName(u.stack[len(u.stack)-1]))
		}
		u.stack = u.stack[:len(u.stack)-2]
		g, err := lookupGlobal(module, name)
		if err != nil {
			return u.wrapf(err)
		}
		u.push(g)
	case 'R': // REDUCE
		if len(u.stack) < 2 {
			return u.errf("stack underflow in REDUCE")
		}
		fn, args := u.stack[len(u.stack)-2], u.stack[len(u.stack)-1]
		u.stack = u.stack[:len(u.stack)-2]
		v, err := u.reduce(fn, args)
		if err != nil {
			return err
		}
		u.push(v)
	case 'b': // BUILD: set an object's state; the only states seen are
		// OrderedDict._metadata and tensor attributes, which are not needed.
		state, err := u.pop()
		if err != nil {
			return err
		}
		_ = state
		t, err := u.top()
		if err != nil {
			return err
		}
		switch t.(type) {
		case *pyDict, *pyCall:
		default:
			return u.errf("BUILD on %s", typeName(t))
		}
	case 'Q': // BINPERSID
		id, err := u.pop()
		if err != nil {
			return err
		}
		p := &pyPID{id: id, at: u.base + u.op}
		if u.onPID != nil {
			u.onPID(p)
		}
		u.push(p)
	default:
		if _, known := opNames[op]; known {
			return u.errf("unsupported pickle opcode %s (0x%02x)", opName(op), op)
		}
		return u.errf("unknown pickle opcode 0x%02x", op)
	}
	return nil
}

// lenSize is the width of the length prefix of a string or bytes opcode.
func lenSize(op byte) int {
	switch op {
	case 'U', 'C', 0x8c:
		return 1
	case 0x8d, 0x8e:
		return 8
	}
	return 4
}

func memoIndex(b []byte) int {
	if len(b) == 1 {
		return int(b[0])
	}
	return int(binary.LittleEndian.Uint32(b))
}

func (u *unpickler) appendTo(items []any) error {
	t, err := u.top()
	if err != nil {
		return err
	}
	l, ok := t.(*pyList)
	if !ok {
		return u.errf("%s on %s, not a list", opName(u.data[u.op]), typeName(t))
	}
	l.items = append(l.items, items...)
	return nil
}

func (u *unpickler) setItems(d *pyDict, kv []any) error {
	if len(kv)%2 != 0 {
		return u.errf("%s with an odd number (%d) of keys and values", opName(u.data[u.op]), len(kv))
	}
	for i := 0; i < len(kv); i += 2 {
		k := kv[i]
		switch k.(type) {
		case string, pyBytes, int64, bool, float64, nil:
		default:
			return u.errf("dict key of type %s is not supported", typeName(k))
		}
		if d.index == nil {
			d.index = map[any]int{}
		}
		if j, ok := d.index[k]; ok {
			d.vals[j] = kv[i+1]
			continue
		}
		d.index[k] = len(d.keys)
		d.keys = append(d.keys, k)
		d.vals = append(d.vals, kv[i+1])
	}
	return nil
}

// reduce handles REDUCE: fn(*args) for the few callables on the allow-list.
func (u *unpickler) reduce(fn, args any) (any, error) {
	g, ok := fn.(pyGlobal)
	if !ok {
		return nil, u.errf("REDUCE calls %s, not an allowed global", typeName(fn))
	}
	t, ok := args.(pyTuple)
	if !ok {
		return nil, u.errf("REDUCE of %s with %s arguments, not a tuple", g, typeName(args))
	}
	switch g.kind {
	case kindOrderedDict:
		if len(t) != 0 {
			return nil, u.errf("collections.OrderedDict called with %d arguments; only an empty one is supported", len(t))
		}
		return &pyDict{ordered: true}, nil
	case kindRebuild:
		return &pyCall{fn: g, args: t, at: u.base + u.op}, nil
	}
	return nil, u.errf("REDUCE calls %s, which is not callable here", g)
}

// decodeLong decodes a little-endian two's-complement integer.
func decodeLong(b []byte) any {
	if len(b) == 0 {
		return int64(0)
	}
	if len(b) <= 8 {
		var v uint64
		for i := len(b) - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
		shift := uint(64 - 8*len(b))
		return int64(v<<shift) >> shift
	}
	be := make([]byte, len(b))
	for i := range b {
		be[len(b)-1-i] = b[i]
	}
	n := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return n
}

// typeName names a value's Python type, for error messages.
func typeName(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case pyBytes:
		return "bytes"
	case pyTuple:
		return "tuple"
	case *pyList:
		return "list"
	case *pyDict:
		if v.ordered {
			return "OrderedDict"
		}
		return "dict"
	case pyGlobal:
		return v.String()
	case *pyCall:
		return "tensor (" + v.fn.String() + ")"
	case *pyPID:
		return "storage"
	}
	return fmt.Sprintf("%T", v)
}

// aType is typeName with an indefinite article: "an int", "a dict".
func aType(v any) string {
	n := typeName(v)
	if v == nil {
		return n
	}
	if n != "" && strings.ContainsRune("aeiouAEIOU", rune(n[0])) {
		return "an " + n
	}
	return "a " + n
}
