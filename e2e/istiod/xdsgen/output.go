package xdsgen

import (
	"encoding/json"
	"io"
)

// WriteJSON writes the result as one JSON object with the keys in the contract's order, one
// resource per line (resources are already compact JSON).
func WriteJSON(w io.Writer, r *Result) error {
	sections := []struct {
		key   string
		items []json.RawMessage
	}{{"listeners", r.Listeners}, {"routes", r.Routes}, {"clusters", r.Clusters}}
	msgs := make([]json.RawMessage, 0, len(r.Messages))
	for _, m := range r.Messages {
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		msgs = append(msgs, b)
	}
	sections = append(sections, struct {
		key   string
		items []json.RawMessage
	}{"messages", msgs})
	if _, err := io.WriteString(w, "{\n"); err != nil {
		return err
	}
	for i, s := range sections {
		if _, err := io.WriteString(w, `"`+s.key+`": [`); err != nil {
			return err
		}
		for j, item := range s.items {
			sep := ",\n"
			if j == 0 {
				sep = "\n"
			}
			if _, err := io.WriteString(w, sep); err != nil {
				return err
			}
			if _, err := w.Write(item); err != nil {
				return err
			}
		}
		end := "\n]"
		if len(s.items) == 0 {
			end = "]"
		}
		if i < len(sections)-1 {
			end += ","
		}
		if _, err := io.WriteString(w, end+"\n"); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "}\n")
	return err
}
