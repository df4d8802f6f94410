# Build: docker build -t mailserver --build-arg VERSION=$(git describe --always) .
# Run:   see docker-compose.yml and the Docker section of README.md.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" \
        -o /out/mailserver ./cmd/mailserver

# distroless/static: CA certificates and tzdata, no shell, no package
# manager. The process runs as root inside the container so it can bind
# the standard ports below 1024 without setcap; to run unprivileged
# instead, move the [listen] ports above 1024 in the config and map them
# in docker-compose.yml.
FROM gcr.io/distroless/static-debian12
COPY --from=build /out/mailserver /usr/local/bin/mailserver
# data_dir defaults to "./data", so the data lives in
# /var/lib/mailserver/data; docker-compose.yml keeps it in a named volume.
WORKDIR /var/lib/mailserver
VOLUME ["/var/lib/mailserver/data"]
# smtp submission submissions pop3 pop3s imap imaps http https
EXPOSE 25 587 465 110 995 143 993 80 443 4190
ENTRYPOINT ["/usr/local/bin/mailserver"]
CMD ["serve"]
