# Production image: a static srg binary on a minimal base, run as a non-root user.
# Build: docker build -t srg .   Run: see docker-compose.yml.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=docker
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/srgplatform/srg/app.Version=${VERSION}" \
      -o /out/srg . \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/srg /usr/local/bin/srg
COPY --from=build --chown=nonroot:nonroot /out/data /var/lib/srg
COPY config/srg.example.yaml /etc/srg/srg.yaml
USER nonroot:nonroot
ENV SRG_CONFIG=/etc/srg/srg.yaml \
    SRG_SERVER_LISTEN=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/srg"]
CMD ["serve"]
