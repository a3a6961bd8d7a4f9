/**
 * "Create subscription": a form in a modal with one receiver (Slack or a webhook by a
 * Secret's name and key, or e-mail addresses). The server validates; its 400 is shown in
 * the form with its message, and nothing is stored. A name already in the list is
 * refused here, so creating never replaces a subscription (PUT would).
 */
import {
  ActionGroup,
  Button,
  Checkbox,
  Form,
  FormGroup,
  FormHelperText,
  FormSelect,
  FormSelectOption,
  Grid,
  HelperText,
  HelperTextItem,
  Modal,
  ModalBody,
  ModalHeader,
  TextInput,
} from '@patternfly/react-core';
import { useMutation } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { kite, queryClient } from '../api.js';
import { ErrorState } from '../components/states.js';
import { ISSUE_TYPES, SEVERITIES, type Severity } from '../format.js';
import {
  EMPTY_FORM,
  RECEIVER_LABELS,
  RECEIVER_TYPES,
  WEBHOOK_FORMATS,
  specOf,
  type ReceiverType,
  type SubscriptionForm,
  type WebhookFormat,
} from '../subscriptions.js';

function Helper({ children }: { children: string }) {
  return (
    <FormHelperText>
      <HelperText>
        <HelperTextItem>{children}</HelperTextItem>
      </HelperText>
    </FormHelperText>
  );
}

export function CreateSubscription({
  namespace,
  taken,
}: {
  namespace: string;
  /** Names of the namespace's subscriptions. */
  taken: string[];
}) {
  const [open, setOpen] = useState(false);
  const [form, setForm] = useState<SubscriptionForm>(EMPTY_FORM);
  const id = useId();
  const set = <K extends keyof SubscriptionForm>(key: K, value: SubscriptionForm[K]) =>
    setForm((current) => ({ ...current, [key]: value }));
  const create = useMutation({
    mutationFn: () => kite.putSubscription(namespace, form.name.trim(), specOf(form)),
    onSuccess: () => {
      close();
      void queryClient.invalidateQueries({ queryKey: ['subscriptions', namespace] });
    },
    onError: () => void queryClient.invalidateQueries({ queryKey: ['access', namespace] }),
  });
  const close = () => {
    setOpen(false);
    setForm(EMPTY_FORM);
    create.reset();
  };
  const name = form.name.trim();
  const clash = taken.includes(name);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (name && !clash) create.mutate();
  };
  const field = (key: string) => `${id}-${key}`;
  const toggleType = (type: (typeof ISSUE_TYPES)[number], on: boolean) =>
    set('issueTypes', on ? [...form.issueTypes, type] : form.issueTypes.filter((t) => t !== type));
  const text = (
    key:
      | 'name'
      | 'application'
      | 'component'
      | 'labelSelector'
      | 'secretName'
      | 'secretKey'
      | 'to'
      | 'groupWait',
  ) => ({
    id: field(key),
    value: form[key],
    onChange: (_event: unknown, value: string) => set(key, value),
  });
  return (
    <>
      <Button variant="primary" onClick={() => setOpen(true)}>
        Create subscription
      </Button>
      <Modal variant="medium" isOpen={open} onClose={close} aria-labelledby={field('title')}>
        <ModalHeader
          title="Create subscription"
          labelId={field('title')}
          description={`Who is told of issues in ${namespace}, and when.`}
        />
        <ModalBody>
          <Form onSubmit={submit} data-testid="subscription-form">
            {create.error ? (
              <ErrorState action="create" what="the subscription" error={create.error} />
            ) : null}
            <FormGroup label="Name" isRequired fieldId={field('name')}>
              <TextInput {...text('name')} isRequired validated={clash ? 'error' : 'default'} />
              <Helper>
                {clash
                  ? `A subscription named ${name} exists already: choose another name.`
                  : 'Lowercase letters, digits and "-".'}
              </Helper>
            </FormGroup>
            <FormGroup label="Minimum severity" fieldId={field('minSeverity')}>
              <FormSelect
                id={field('minSeverity')}
                value={form.minSeverity}
                onChange={(_event, value) => set('minSeverity', value as Severity | '')}
              >
                <FormSelectOption value="" label="Any severity" />
                {SEVERITIES.map((s) => (
                  <FormSelectOption
                    key={s}
                    value={s}
                    label={s === SEVERITIES[0] ? s : `${s} or worse`}
                  />
                ))}
              </FormSelect>
            </FormGroup>
            <FormGroup label="Issue types" role="group" isInline fieldId={field('types')}>
              {ISSUE_TYPES.map((type) => (
                <Checkbox
                  key={type}
                  id={field(`type-${type}`)}
                  label={type}
                  isChecked={form.issueTypes.includes(type)}
                  onChange={(_event, on) => toggleType(type, on)}
                />
              ))}
              <Helper>None chosen: every type.</Helper>
            </FormGroup>
            <Grid hasGutter md={6}>
              <FormGroup label="Application" fieldId={field('application')}>
                <TextInput {...text('application')} />
              </FormGroup>
              <FormGroup label="Component" fieldId={field('component')}>
                <TextInput {...text('component')} />
              </FormGroup>
            </Grid>
            <FormGroup label="Label selector" fieldId={field('labelSelector')}>
              <TextInput {...text('labelSelector')} placeholder="env=prod,tier!=db" />
            </FormGroup>
            <Grid hasGutter md={6}>
              <FormGroup label="Receiver" fieldId={field('receiverType')}>
                <FormSelect
                  id={field('receiverType')}
                  value={form.receiverType}
                  onChange={(_event, value) => set('receiverType', value as ReceiverType)}
                >
                  {RECEIVER_TYPES.map((type) => (
                    <FormSelectOption key={type} value={type} label={RECEIVER_LABELS[type]} />
                  ))}
                </FormSelect>
              </FormGroup>
              {form.receiverType === 'webhook' && (
                <FormGroup label="Webhook format" fieldId={field('format')}>
                  <FormSelect
                    id={field('format')}
                    value={form.format}
                    onChange={(_event, value) => set('format', value as WebhookFormat)}
                  >
                    {WEBHOOK_FORMATS.map((format) => (
                      <FormSelectOption key={format} value={format} label={format} />
                    ))}
                  </FormSelect>
                </FormGroup>
              )}
            </Grid>
            {form.receiverType === 'email' ? (
              <FormGroup label="E-mail addresses" isRequired fieldId={field('to')}>
                <TextInput {...text('to')} isRequired placeholder="team-a@example.com" />
                <Helper>Separated by commas or spaces.</Helper>
              </FormGroup>
            ) : (
              <Grid hasGutter md={6}>
                <FormGroup label="Secret name" isRequired fieldId={field('secretName')}>
                  <TextInput {...text('secretName')} isRequired />
                  <Helper>{`A Secret in ${namespace} labelled kite.konflux-ci.dev/receiver=true.`}</Helper>
                </FormGroup>
                <FormGroup label="Secret key" isRequired fieldId={field('secretKey')}>
                  <TextInput {...text('secretKey')} isRequired placeholder="url" />
                  <Helper>The key holding the URL. Its value is read only when sending.</Helper>
                </FormGroup>
              </Grid>
            )}
            <FormGroup label="Group wait" fieldId={field('groupWait')}>
              <TextInput {...text('groupWait')} placeholder="30s" />
              <Helper>How long to gather issues before the first message (default 30s).</Helper>
            </FormGroup>
            <ActionGroup>
              <Button
                type="submit"
                variant="primary"
                isLoading={create.isPending}
                isDisabled={!name || clash || create.isPending}
              >
                Create
              </Button>
              <Button variant="link" onClick={close}>
                Cancel
              </Button>
            </ActionGroup>
          </Form>
        </ModalBody>
      </Modal>
    </>
  );
}
