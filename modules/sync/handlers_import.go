package syncer

import (
	"mime"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/modules/sync/csvimport"
)

// importCSV takes the file as the request body (text/csv) or as the "file" part of a
// multipart form. 200 means imported; 422 lists the rows to fix, none imported.
func (m *Module) importCSV(c echo.Context) error {
	tid, err := m.tenantID(c)
	if err != nil {
		return err
	}
	kind, err := csvimport.ParseKind(c.Param("kind"))
	if err != nil {
		return err
	}
	req := c.Request()
	req.Body = http.MaxBytesReader(c.Response(), req.Body, m.importLimits.MaxBytes+1<<20)
	body := req.Body
	if mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type")); mt == "multipart/form-data" {
		f, err := c.FormFile("file")
		if err != nil {
			return errs.Invalid("file", "send the CSV as the multipart field \"file\"")
		}
		src, err := f.Open()
		if err != nil {
			return errs.Invalid("file", "the uploaded file cannot be read")
		}
		defer src.Close()
		body = src
	}
	res, err := m.svc.Import(req.Context(), tid, kind, body, m.importLimits, actor(c))
	if err != nil {
		return err
	}
	if !res.Imported {
		return c.JSON(http.StatusUnprocessableEntity, res)
	}
	return c.JSON(http.StatusOK, res)
}
