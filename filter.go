package segmentbot

// Filter ops (DESIGN §8): a contract, never renamed.
const (
	OpIn      = "in"
	OpNotIn   = "not_in"
	OpExists  = "exists"
	OpMissing = "missing"
)

// Filter narrows a set of users by their attributes: every condition must
// hold. Names and values are compared without case.
type Filter struct {
	All []Condition `json:"all"`
}

// Condition is one test of one attribute.
type Condition struct {
	Attribute string   `json:"attribute"`
	Op        string   `json:"op"`
	Values    []string `json:"values,omitempty"`
}

// Attribute is one name -> value of a user, from the directory or an import.
type Attribute struct {
	UserID int64  `json:"user_id" db:"user_id"`
	Name   string `json:"name" db:"name"`   // lower case, trimmed
	Value  string `json:"value" db:"value"` // as given; compared without case
	Source string `json:"source" db:"source"`
}
