package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/errs"
)

var statusOf = map[errs.Kind]int{
	errs.KindInvalid:     http.StatusBadRequest,
	errs.KindNotFound:    http.StatusNotFound,
	errs.KindConflict:    http.StatusConflict,
	errs.KindForbidden:   http.StatusForbidden,
	errs.KindUnavailable: http.StatusServiceUnavailable,
	errs.KindInternal:    http.StatusInternalServerError,
}

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// ErrorPage is the view model of the HTML error page.
type ErrorPage struct {
	Page
	Status  int
	Message string
}

// ErrorHandler maps domain errors and echo's HTTP errors to a status and to a JSON body
// or an HTML page, by what the client accepts. Only internal errors are logged.
func ErrorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status, body := classify(err)
		if status >= 500 {
			log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "status", status, "err", err)
		}
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(status)
			return
		}
		if wantsHTML(c.Request()) {
			if rerr := c.Render(status, "web/error", ErrorPage{Page: Page{Title: http.StatusText(status)}, Status: status, Message: body.Error}); rerr == nil {
				return
			}
		}
		_ = c.JSON(status, body)
	}
}

// StatusOf is the HTTP status an error answers with, for pages that show an error
// themselves instead of the error page.
func StatusOf(err error) int {
	status, _ := classify(err)
	return status
}

func classify(err error) (int, ErrorBody) {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		msg := http.StatusText(he.Code)
		if s, ok := he.Message.(string); ok && he.Code < 500 {
			msg = s
		}
		return he.Code, ErrorBody{Error: msg}
	}
	kind := errs.KindOf(err)
	return statusOf[kind], ErrorBody{Error: errs.MessageOf(err), Field: errs.FieldOf(err)}
}

func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get(echo.HeaderAccept), echo.MIMETextHTML)
}
