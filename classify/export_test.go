package classify

// Test helpers exported to the package's external tests, which import eval (and eval imports
// classify, so those tests cannot live inside the package).
var (
	LabelsOf     = labelsOf
	RefObjective = refObjective
	To64         = to64
	MaxAbs       = maxAbs
)
