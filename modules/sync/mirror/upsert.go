package mirror

import (
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// maxParams stays under Postgres's 65,535 bind parameters per statement.
const maxParams = 60000

// table describes a multi-row upsert: the columns written, the conflict target and
// the columns a conflict overwrites.
type table struct {
	name     string
	cols     []string
	conflict []string
	update   []string
	// keepIfEmpty are updated only by a non-empty value.
	keepIfEmpty []string
}

// upsert writes rows (each with len(t.cols) values) in as few statements as the
// parameter limit allows. Later duplicates of a key within one call win, as they
// would one by one; Postgres refuses a key twice in one statement, so they are
// folded first.
func (t table) upsert(tx *gorm.DB, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	rows = t.dedupe(rows)
	per := maxParams / len(t.cols)
	for len(rows) > 0 {
		n := min(per, len(rows))
		if err := t.exec(tx, rows[:n]); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

func (t table) exec(tx *gorm.DB, rows [][]any) error {
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(t.name)
	b.WriteString(" (")
	b.WriteString(strings.Join(t.cols, ", "))
	b.WriteString(") VALUES ")
	args := make([]any, 0, len(rows)*len(t.cols))
	for i, r := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range t.cols {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('?')
		}
		b.WriteByte(')')
		args = append(args, r...)
	}
	b.WriteString(" ON CONFLICT (")
	b.WriteString(strings.Join(t.conflict, ", "))
	if len(t.update) == 0 && len(t.keepIfEmpty) == 0 {
		b.WriteString(") DO NOTHING")
	} else {
		b.WriteString(") DO UPDATE SET ")
		for i, c := range t.update {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s = EXCLUDED.%s", c, c)
		}
		for _, c := range t.keepIfEmpty {
			fmt.Fprintf(&b, ", %s = COALESCE(NULLIF(EXCLUDED.%s, ''), %s.%s)", c, c, t.name, c)
		}
	}
	if err := tx.Exec(b.String(), args...).Error; err != nil {
		return fmt.Errorf("mirror: upsert %s: %w", t.name, err)
	}
	return nil
}

func (t table) dedupe(rows [][]any) [][]any {
	idx := make([]int, len(t.conflict))
	for i, c := range t.conflict {
		for j, col := range t.cols {
			if col == c {
				idx[i] = j
			}
		}
	}
	seen := make(map[string]int, len(rows))
	out := rows[:0:0]
	for _, r := range rows {
		var key strings.Builder
		for _, i := range idx {
			fmt.Fprint(&key, r[i], "\x00")
		}
		if at, ok := seen[key.String()]; ok {
			out[at] = r
			continue
		}
		seen[key.String()] = len(out)
		out = append(out, r)
	}
	return out
}

// ts is a nullable timestamp: the zero time is NULL.
func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// day is a nullable date.
func day(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.DateOnly)
}

// decimal is a nullable numeric given as a decimal string.
func decimal(s string) any {
	if s == "" {
		return nil
	}
	return s
}
