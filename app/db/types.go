package db

import (
	"database/sql/driver"

	"github.com/jackc/pgx/v5/pgtype"
)

var typeMap = pgtype.NewMap()

// StringArray is a Postgres text[] column.
type StringArray []string

// Scan implements sql.Scanner.
func (a *StringArray) Scan(src any) error {
	var s []string
	if err := typeMap.SQLScanner(&s).Scan(src); err != nil {
		return err
	}
	*a = s
	return nil
}

// Value implements driver.Valuer; pgx encodes []string as text[].
func (a StringArray) Value() (driver.Value, error) {
	if a == nil {
		return []string{}, nil
	}
	return []string(a), nil
}

// GormDataType tells gorm the column type, so structs with StringArray fields scan.
func (StringArray) GormDataType() string { return "text[]" }
