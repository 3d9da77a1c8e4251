// Package server is the reference HTTP server of the Qluster API: handlers
// implementing the strict interface generated from api/openapi.yaml, the
// authentication and role checks every operation passes, request validation
// against the contract, and the wiring of the default parts.
//
// # Request life cycle
//
// A request is routed by the contract, authenticated (401 without a valid
// bearer token, except for the few public operations), authorised by the
// acting user's role (403), validated against the contract (422, naming each
// field), then handled; errors from the store map to 404, 409 and 422.
package server
