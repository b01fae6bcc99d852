# The real Toxiproxy 2.12.0 (TOXIPROXY_IMAGE) where ghcr.io is out of reach: the upstream
# static binaries in the layout of ghcr.io/shopify/toxiproxy:2.12.0 (/toxiproxy, /toxiproxy-cli).
# Context: a directory holding toxiproxy-server and toxiproxy-cli (deploy/compose-test.sh
# copies them there from ../shared/toxiproxy; they are never committed).
FROM scratch
LABEL org.opencontainers.image.description="Shopify Toxiproxy 2.12.0, upstream static binaries, local image"
COPY toxiproxy-server /toxiproxy
COPY toxiproxy-cli /toxiproxy-cli
EXPOSE 8474
ENTRYPOINT ["/toxiproxy"]
CMD ["-host=0.0.0.0"]
