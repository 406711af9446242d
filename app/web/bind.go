package web

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/errs"
)

// MaxJSONBody bounds the JSON bodies DecodeJSON reads.
const MaxJSONBody = 64 << 10

// DecodeJSON reads the request body (at most MaxJSONBody) into v, refusing keys v
// does not have, so a misspelt key is an error rather than a silently ignored
// setting. what names the expected body in the error ("a settings object").
func DecodeJSON(c echo.Context, v any, what string) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, MaxJSONBody+1))
	if err != nil {
		return errs.Invalid("", "could not read the request body")
	}
	if len(body) > MaxJSONBody {
		return errs.Invalid("", "the request body is over %d KB", MaxJSONBody>>10)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errs.Invalid("", "the body is not %s: %v", what, err)
	}
	return nil
}
