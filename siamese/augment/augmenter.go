package augment

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Augmenter changes one training text; the trainer calls it once per example per step.
// Implementations are safe for concurrent use with one *rand.Rand per goroutine.
type Augmenter interface {
	// Augment returns a variant of text (possibly text itself) drawn with rng.
	Augment(text string, rng *rand.Rand) string
}

// Identity is the Augmenter that returns every text unchanged.
type Identity struct{}

// Augment returns text.
func (Identity) Augment(text string, _ *rand.Rand) string { return text }

// EDAAugmenter is an Augmenter over EDA: with probability PIdentity it returns the text as is,
// otherwise one EDA variant picked at random (see EDA.One).
type EDAAugmenter struct {
	eda       *EDA
	pIdentity float64
}

// NewEDAAugmenter wraps e; pIdentity in [0, 1] is the probability of returning the text
// unchanged. DefaultPIdentity gives the share the original has in the reference's output.
func NewEDAAugmenter(e *EDA, pIdentity float64) (*EDAAugmenter, error) {
	if e == nil {
		return nil, fmt.Errorf("eda augmenter: nil EDA")
	}
	if !(pIdentity >= 0 && pIdentity <= 1) {
		return nil, fmt.Errorf("eda augmenter: identity probability %v, want a value in [0, 1]", pIdentity)
	}
	return &EDAAugmenter{eda: e, pIdentity: pIdentity}, nil
}

// DefaultPIdentity is 1/(numAug+1): the reference returns num_aug variants plus the original,
// so a random pick from its output is the original that often.
func DefaultPIdentity(numAug int) float64 {
	return 1 / float64(max(numAug, 0)+1)
}

// Augment returns text with probability PIdentity, else one EDA variant. A nil rng returns text.
func (a *EDAAugmenter) Augment(text string, rng *rand.Rand) string {
	if rng == nil {
		return text
	}
	if a.pIdentity > 0 && rng.Float64() < a.pIdentity {
		return text
	}
	return a.eda.One(text, rng)
}

// EDAOptions is the EDA part of a parsed augmentation flag.
type EDAOptions struct {
	// Config holds the EDA rates and NumAug.
	Config EDAConfig
	// PIdentity is the probability that the text augmenter returns the text unchanged.
	PIdentity float64
}

// Spec is a parsed augmentation flag value: which augmentations run and with what settings.
// A nil field means that augmentation is off.
type Spec struct {
	// EDA configures text-level EDA, applied before tokenisation.
	EDA *EDAOptions
	// Cutoff configures token-level cutoff, applied after tokenisation, before padding.
	Cutoff *CutoffConfig
}

// Enabled reports whether any augmentation is on.
func (s Spec) Enabled() bool { return s.EDA != nil || s.Cutoff != nil }

// NeedsWordNet reports whether TextAugmenter needs a loaded WordNet.
func (s Spec) NeedsWordNet() bool {
	return s.EDA != nil && (s.EDA.Config.AlphaSR > 0 || s.EDA.Config.AlphaRI > 0)
}

// TextAugmenter builds the text-level Augmenter: an EDAAugmenter, or Identity when EDA is off.
// wn may be nil when NeedsWordNet is false.
func (s Spec) TextAugmenter(wn *WordNet) (Augmenter, error) {
	if s.EDA == nil {
		return Identity{}, nil
	}
	e, err := NewEDA(wn, s.EDA.Config)
	if err != nil {
		return nil, err
	}
	return NewEDAAugmenter(e, s.EDA.PIdentity)
}

// TokenAugmenter returns the token-level augmenter, or nil when cutoff is off.
func (s Spec) TokenAugmenter() TokenAugmenter {
	if s.Cutoff == nil {
		return nil
	}
	return *s.Cutoff
}

// String writes s back in the flag syntax, every parameter spelled out ("none" when empty).
func (s Spec) String() string {
	var parts []string
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	if s.EDA != nil {
		c := s.EDA.Config
		parts = append(parts, fmt.Sprintf("eda:sr=%s:ri=%s:rs=%s:rd=%s:n=%d:identity=%s",
			f(c.AlphaSR), f(c.AlphaRI), f(c.AlphaRS), f(c.PRD), c.NumAug, f(s.EDA.PIdentity)))
	}
	if s.Cutoff != nil {
		parts = append(parts, fmt.Sprintf("cutoff:rate=%s:span=%t:keep_special=%t",
			f(s.Cutoff.Rate), s.Cutoff.Span, s.Cutoff.KeepSpecial))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ",")
}

// FlagHelp describes the flag syntax ParseSpec accepts, for a CLI's usage text.
const FlagHelp = `comma-separated augmentations, each name[:key=value...]; a key=value entry after a comma continues the augmentation before it. ` +
	`"none" or "" turns augmentation off. ` +
	`eda: alpha (sets sr, ri, rs and rd), sr, ri, rs, rd (rates in [0,1], default 0.1), n (variants per text, default 4), identity (probability of the unchanged text, default 1/(n+1)). ` +
	`cutoff: rate (in [0,1], default 0.1), span (true: one contiguous run), keep_special (default true). ` +
	`Example: eda:alpha=0.05,n=8,cutoff:rate=0.1:span=true`

// ParseSpec parses an augmentation flag value such as "eda,cutoff",
// "eda:alpha=0.1,cutoff:rate=0.1" or "eda:sr=0.2:rd=0,n=8" (see FlagHelp). flagName is the
// flag as the user typed it (for example "augment"); every error names it and the bad part.
// In eda, alpha sets all four rates first and sr, ri, rs, rd then override it, whatever their
// order; giving one key twice is an error.
func ParseSpec(flagName, value string) (Spec, error) {
	flag := "--" + strings.TrimLeft(flagName, "-")
	fail := func(format string, args ...any) (Spec, error) {
		return Spec{}, fmt.Errorf("flag %s=%q: %s", flag, value, fmt.Sprintf(format, args...))
	}
	v := strings.TrimSpace(value)
	if v == "" || strings.EqualFold(v, "none") {
		return Spec{}, nil
	}
	type method struct {
		name   string
		params map[string]string
		order  []string // keys in the order given, for error messages
	}
	var methods []*method
	for i, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return fail("entry %d is empty", i+1)
		}
		fields := strings.Split(item, ":")
		var cur *method
		params := fields
		if !strings.Contains(fields[0], "=") {
			name := strings.ToLower(strings.TrimSpace(fields[0]))
			if name == "none" {
				return fail(`"none" cannot be combined with other augmentations`)
			}
			if name != "eda" && name != "cutoff" {
				return fail("unknown augmentation %q (want eda or cutoff)", fields[0])
			}
			for _, m := range methods {
				if m.name == name {
					return fail("%s is given twice", name)
				}
			}
			cur = &method{name: name, params: map[string]string{}}
			methods = append(methods, cur)
			params = fields[1:]
		} else {
			if len(methods) == 0 {
				return fail("parameter %q comes before any augmentation name (want eda or cutoff first)", item)
			}
			cur = methods[len(methods)-1]
		}
		for _, p := range params {
			p = strings.TrimSpace(p)
			key, val, ok := strings.Cut(p, "=")
			key = strings.ToLower(strings.TrimSpace(key))
			val = strings.TrimSpace(val)
			if !ok || key == "" || val == "" {
				return fail("%s parameter %q is not key=value", cur.name, p)
			}
			if _, dup := cur.params[key]; dup {
				return fail("%s parameter %s is given twice", cur.name, key)
			}
			cur.params[key] = val
			cur.order = append(cur.order, key)
		}
	}
	var spec Spec
	for _, m := range methods {
		var err error
		switch m.name {
		case "eda":
			spec.EDA, err = parseEDAParams(m.params, m.order)
		case "cutoff":
			spec.Cutoff, err = parseCutoffParams(m.params, m.order)
		}
		if err != nil {
			return fail("%s: %v", m.name, err)
		}
	}
	return spec, nil
}

// parseRate parses a value in [0, 1] for key.
func parseRate(key, val string) (float64, error) {
	r, err := strconv.ParseFloat(val, 64)
	if err != nil {
		return 0, fmt.Errorf("%s=%s is not a number", key, val)
	}
	if !(r >= 0 && r <= 1) {
		return 0, fmt.Errorf("%s=%s is outside [0, 1]", key, val)
	}
	return r, nil
}

// parseEDAParams builds EDAOptions from DefaultEDA and the given keys.
func parseEDAParams(params map[string]string, order []string) (*EDAOptions, error) {
	cfg := DefaultEDA()
	if val, ok := params["alpha"]; ok {
		a, err := parseRate("alpha", val)
		if err != nil {
			return nil, err
		}
		cfg.AlphaSR, cfg.AlphaRI, cfg.AlphaRS, cfg.PRD = a, a, a, a
	}
	identity := -1.0
	for _, key := range order {
		val := params[key]
		var err error
		switch key {
		case "alpha":
		case "sr":
			cfg.AlphaSR, err = parseRate(key, val)
		case "ri":
			cfg.AlphaRI, err = parseRate(key, val)
		case "rs":
			cfg.AlphaRS, err = parseRate(key, val)
		case "rd":
			cfg.PRD, err = parseRate(key, val)
		case "identity":
			identity, err = parseRate(key, val)
		case "n":
			n, perr := strconv.Atoi(val)
			switch {
			case perr != nil:
				err = fmt.Errorf("n=%s is not a whole number", val)
			case n < 1:
				err = fmt.Errorf("n=%s must be at least 1", val)
			}
			cfg.NumAug = n
		default:
			err = fmt.Errorf("no parameter %q (want alpha, sr, ri, rs, rd, n or identity)", key)
		}
		if err != nil {
			return nil, err
		}
	}
	if identity < 0 {
		identity = DefaultPIdentity(cfg.NumAug)
	}
	return &EDAOptions{Config: cfg, PIdentity: identity}, nil
}

// parseCutoffParams builds a CutoffConfig from DefaultCutoff and the given keys.
func parseCutoffParams(params map[string]string, order []string) (*CutoffConfig, error) {
	c := DefaultCutoff()
	for _, key := range order {
		val := params[key]
		var err error
		switch key {
		case "rate":
			c.Rate, err = parseRate(key, val)
		case "span", "keep_special":
			b, perr := strconv.ParseBool(val)
			if perr != nil {
				err = fmt.Errorf("%s=%s is not true or false", key, val)
			} else if key == "span" {
				c.Span = b
			} else {
				c.KeepSpecial = b
			}
		default:
			err = fmt.Errorf("no parameter %q (want rate, span or keep_special)", key)
		}
		if err != nil {
			return nil, err
		}
	}
	return &c, nil
}
