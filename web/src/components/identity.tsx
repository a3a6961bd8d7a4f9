/**
 * Who the dashboard speaks as. `--auth-mode none`: nobody, and a banner says so.
 * Otherwise a pasted token (sessionStorage only) or, behind a console/OAuth proxy, the
 * token the proxy forwards: the dashboard asks for a token only when the API answers 401.
 */
import {
  ActionGroup,
  Banner,
  Button,
  Card,
  CardBody,
  CardTitle,
  Form,
  FormGroup,
  FormHelperText,
  HelperText,
  HelperTextItem,
  TextInput,
} from '@patternfly/react-core';
import { useState, type FormEvent } from 'react';
import { authMode, queryClient, token, unauthorized } from '../api.js';

export function AnonymousBanner() {
  if (authMode !== 'none') return null;
  return (
    <Banner color="yellow" data-testid="anonymous-banner" className="kite-banner">
      Anonymous development mode (<code>--auth-mode none</code>): nobody signs in, and anyone who
      reaches this server may read and change every issue.
    </Banner>
  );
}

/** Applies a new identity: every view reloads its data with it. */
export function useIdentity() {
  const [current, setCurrent] = useState(() => token.get());
  const apply = (value: string | undefined) => {
    if (value) token.set(value);
    else token.clear();
    setCurrent(token.get());
    queryClient.clear();
    unauthorized.clear();
  };
  return {
    token: current,
    signIn: (value: string) => apply(value),
    signOut: () => apply(undefined),
  };
}

export function SignIn({ onSignIn }: { onSignIn: (token: string) => void }) {
  const [value, setValue] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (value.trim()) onSignIn(value.trim());
  };
  return (
    <Card className="kite-sign-in">
      <CardTitle component="h2">Sign in with a token</CardTitle>
      <CardBody>
        <p>
          The API answered 401: it needs to know who you are. Paste a Kubernetes bearer token (for
          example the output of <code>oc whoami -t</code>). It stays in this browser tab only, and
          is gone when the tab closes.
        </p>
        <Form onSubmit={submit}>
          <FormGroup label="Bearer token" isRequired fieldId="kite-token">
            <TextInput
              id="kite-token"
              type="password"
              autoComplete="off"
              value={value}
              onChange={(_event, text) => setValue(text)}
              isRequired
            />
            <FormHelperText>
              <HelperText>
                <HelperTextItem>
                  Sent only to this server, in the Authorization header.
                </HelperTextItem>
              </HelperText>
            </FormHelperText>
          </FormGroup>
          <ActionGroup>
            <Button type="submit" variant="primary" isDisabled={!value.trim()}>
              Sign in
            </Button>
          </ActionGroup>
        </Form>
      </CardBody>
    </Card>
  );
}
