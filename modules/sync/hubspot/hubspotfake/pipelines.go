package hubspotfake

import (
	"net/http"
	"strconv"
)

// Pipeline is a deal pipeline with its stages in display order.
type Pipeline struct {
	ID, Label    string
	DisplayOrder int
	Stages       []Stage
}

// Stage is a deal stage; IsClosed and Probability are its metadata, which say
// whether deals in it are closed, and won (probability 1.0) or lost (0.0).
type Stage struct {
	ID, Label    string
	DisplayOrder int
	IsClosed     bool
	Probability  string
}

// defaultPipelines are HubSpot's default sales pipeline and a custom one, whose ids
// HubSpot makes numeric.
func defaultPipelines() []Pipeline {
	return []Pipeline{
		{ID: "default", Label: "Sales Pipeline", DisplayOrder: 0, Stages: []Stage{
			{ID: "appointmentscheduled", Label: "Appointment Scheduled", DisplayOrder: 0, Probability: "0.2"},
			{ID: "qualifiedtobuy", Label: "Qualified To Buy", DisplayOrder: 1, Probability: "0.4"},
			{ID: "presentationscheduled", Label: "Presentation Scheduled", DisplayOrder: 2, Probability: "0.6"},
			{ID: "decisionmakerboughtin", Label: "Decision Maker Bought-In", DisplayOrder: 3, Probability: "0.8"},
			{ID: "contractsent", Label: "Contract Sent", DisplayOrder: 4, Probability: "0.9"},
			{ID: "closedwon", Label: "Closed Won", DisplayOrder: 5, IsClosed: true, Probability: "1.0"},
			{ID: "closedlost", Label: "Closed Lost", DisplayOrder: 6, IsClosed: true, Probability: "0.0"},
		}},
		{ID: "87654321", Label: "Renewals", DisplayOrder: 1, Stages: []Stage{
			{ID: "87654322", Label: "Renewal Due", DisplayOrder: 0, Probability: "0.5"},
			{ID: "87654323", Label: "Renewed", DisplayOrder: 1, IsClosed: true, Probability: "1.0"},
			{ID: "87654324", Label: "Churned", DisplayOrder: 2, IsClosed: true, Probability: "0.0"},
		}},
	}
}

// Pipelines are the portal's deal pipelines.
func (s *Server) Pipelines() []Pipeline {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Pipeline, len(s.pipelines))
	for i, p := range s.pipelines {
		out[i] = p
		out[i].Stages = append([]Stage(nil), p.Stages...)
	}
	return out
}

func (s *Server) stage(pipeline, stage string) (Stage, bool) {
	for _, p := range s.pipelines {
		if p.ID != pipeline {
			continue
		}
		for _, st := range p.Stages {
			if st.ID == stage {
				return st, true
			}
		}
	}
	return Stage{}, false
}

// listPipelines is GET /crm/v3/pipelines/{objectType}.
func (s *Server) listPipelines(w http.ResponseWriter, r *http.Request) {
	objType, ok := s.resolve(r.PathValue("type"))
	if !ok {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Unable to infer object type from: "+r.PathValue("type"))
		return
	}
	type stageJSON struct {
		ID           string            `json:"id"`
		Label        string            `json:"label"`
		DisplayOrder int               `json:"displayOrder"`
		Metadata     map[string]string `json:"metadata"`
		Archived     bool              `json:"archived"`
		CreatedAt    string            `json:"createdAt"`
		UpdatedAt    string            `json:"updatedAt"`
	}
	type pipelineJSON struct {
		ID           string      `json:"id"`
		Label        string      `json:"label"`
		DisplayOrder int         `json:"displayOrder"`
		Stages       []stageJSON `json:"stages"`
		Archived     bool        `json:"archived"`
		CreatedAt    string      `json:"createdAt"`
		UpdatedAt    string      `json:"updatedAt"`
	}
	out := []pipelineJSON{}
	if objType == Deals {
		created := "2020-01-01T00:00:00.000Z"
		for _, p := range s.pipelines {
			pj := pipelineJSON{ID: p.ID, Label: p.Label, DisplayOrder: p.DisplayOrder, CreatedAt: created, UpdatedAt: created}
			for _, st := range p.Stages {
				pj.Stages = append(pj.Stages, stageJSON{ID: st.ID, Label: st.Label, DisplayOrder: st.DisplayOrder,
					Metadata:  map[string]string{"isClosed": strconv.FormatBool(st.IsClosed), "probability": st.Probability},
					CreatedAt: created, UpdatedAt: created})
			}
			out = append(out, pj)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": out})
}
