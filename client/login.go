package client

import (
	"context"
	"fmt"
	"net/http"
)

// BearerToken returns a request editor that sends token as the bearer token.
func BearerToken(token string) RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
}

// FetchToken logs in with an email and password (OAuth2 password form) at server
// (e.g. "http://127.0.0.1:8080") and returns the bearer token.
func FetchToken(ctx context.Context, server, email, password string, opts ...ClientOption) (string, error) {
	c, err := NewClientWithResponses(server, opts...)
	if err != nil {
		return "", err
	}
	res, err := c.LoginForAccessTokenWithFormdataBodyWithResponse(ctx, LoginForAccessTokenFormdataRequestBody{Username: email, Password: password})
	if err != nil {
		return "", fmt.Errorf("client.FetchToken: %w", err)
	}
	if res.JSON200 == nil || res.JSON200.AccessToken == nil {
		return "", fmt.Errorf("client.FetchToken: login refused: %s: %s", res.Status(), res.Body)
	}
	return *res.JSON200.AccessToken, nil
}

// Login logs in and returns a client that sends the token with every request.
func Login(ctx context.Context, server, email, password string, opts ...ClientOption) (*ClientWithResponses, error) {
	tok, err := FetchToken(ctx, server, email, password, opts...)
	if err != nil {
		return nil, err
	}
	return NewClientWithResponses(server, append(opts, WithRequestEditorFn(BearerToken(tok)))...)
}
