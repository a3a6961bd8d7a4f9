/** The issues list's filter bar; every change becomes the URL, which the list reads. */
import {
  Button,
  FormSelect,
  FormSelectOption,
  SearchInput,
  TextInput,
  Toolbar,
  ToolbarContent,
  ToolbarGroup,
  ToolbarItem,
} from '@patternfly/react-core';
import { useEffect, useState, type FormEvent } from 'react';
import { GROUPINGS, isFiltered, searchOf, SORTS, type Filters } from '../filters.js';
import { ISSUE_TYPES, SEVERITIES } from '../format.js';
import { navigate } from '../router.js';
import { ClusterSelect } from './cluster-select.js';
import { NamespaceSelect } from './namespace-select.js';

/** A new filter or order starts again at the first page. */
const apply = (filters: Filters) =>
  navigate(`issues${searchOf({ ...filters, cursor: undefined })}`);

/** No filters; the order stays (it narrows nothing). */
const cleared = (filters: Filters): Filters => ({
  namespace: [],
  state: 'ACTIVE',
  ...(filters.sort ? { sort: filters.sort } : {}),
});

/** A text filter applied on Enter (or when cleared), so typing sends no request per key. */
function TextFilter({
  label,
  value,
  placeholder,
  onApply,
}: {
  label: string;
  value: string | undefined;
  placeholder: string;
  onApply: (value: string | undefined) => void;
}) {
  const [text, setText] = useState(value ?? '');
  useEffect(() => setText(value ?? ''), [value]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply(text.trim() || undefined);
  };
  return (
    <form onSubmit={submit}>
      <TextInput
        aria-label={label}
        placeholder={placeholder}
        value={text}
        onChange={(_event, next) => setText(next)}
        onBlur={() => text.trim() !== (value ?? '') && onApply(text.trim() || undefined)}
      />
    </form>
  );
}

export function IssueFilters({ filters }: { filters: Filters }) {
  const [search, setSearch] = useState(filters.search ?? '');
  useEffect(() => setSearch(filters.search ?? ''), [filters.search]);
  return (
    <Toolbar clearAllFilters={() => apply(cleared(filters))}>
      <ToolbarContent>
        <ToolbarItem>
          <SearchInput
            aria-label="Search titles and descriptions"
            placeholder="Search titles and descriptions"
            value={search}
            onChange={(_event, text) => setSearch(text)}
            onSearch={(_event, text) => apply({ ...filters, search: text.trim() || undefined })}
            onClear={() => {
              setSearch('');
              apply({ ...filters, search: undefined });
            }}
          />
        </ToolbarItem>
        <ToolbarItem>
          <ClusterSelect
            chosen={filters.cluster}
            onChange={(cluster) => apply({ ...filters, cluster })}
          />
        </ToolbarItem>
        <ToolbarItem>
          <NamespaceSelect
            chosen={filters.namespace}
            onChange={(namespace) => apply({ ...filters, namespace })}
          />
        </ToolbarItem>
        <ToolbarGroup variant="filter-group">
          <ToolbarItem>
            <FormSelect
              aria-label="Severity"
              value={filters.severity ?? ''}
              onChange={(_event, value) =>
                apply({ ...filters, severity: SEVERITIES.find((s) => s === value) })
              }
            >
              <FormSelectOption value="" label="Any severity" />
              {SEVERITIES.map((severity) => (
                <FormSelectOption key={severity} value={severity} label={severity} />
              ))}
            </FormSelect>
          </ToolbarItem>
          <ToolbarItem>
            <FormSelect
              aria-label="Type"
              value={filters.issueType ?? ''}
              onChange={(_event, value) =>
                apply({ ...filters, issueType: ISSUE_TYPES.find((t) => t === value) })
              }
            >
              <FormSelectOption value="" label="Any type" />
              {ISSUE_TYPES.map((type) => (
                <FormSelectOption key={type} value={type} label={type} />
              ))}
            </FormSelect>
          </ToolbarItem>
          <ToolbarItem>
            <FormSelect
              aria-label="State"
              value={filters.state}
              onChange={(_event, value) =>
                apply({
                  ...filters,
                  state: value === 'RESOLVED' || value === 'any' ? value : 'ACTIVE',
                })
              }
            >
              <FormSelectOption value="ACTIVE" label="Active" />
              <FormSelectOption value="RESOLVED" label="Resolved" />
              <FormSelectOption value="any" label="Active and resolved" />
            </FormSelect>
          </ToolbarItem>
        </ToolbarGroup>
        <ToolbarItem>
          <TextFilter
            label="Component or scope name"
            placeholder="Component (scope name)"
            value={filters.resourceName}
            onApply={(resourceName) => apply({ ...filters, resourceName })}
          />
        </ToolbarItem>
        <ToolbarItem>
          <TextFilter
            label="Label selector"
            placeholder="Labels, e.g. pipelinesascode.tekton.dev/event-type=push"
            value={filters.labelSelector}
            onApply={(labelSelector) => apply({ ...filters, labelSelector })}
          />
        </ToolbarItem>
        <ToolbarItem>
          <FormSelect
            aria-label="Sort"
            value={filters.sort ?? ''}
            onChange={(_event, value) =>
              apply({ ...filters, sort: SORTS.find((s) => s.value === value)?.value })
            }
          >
            <FormSelectOption value="" label="Newest first" />
            {SORTS.map((sort) => (
              <FormSelectOption key={sort.value} value={sort.value} label={sort.label} />
            ))}
          </FormSelect>
        </ToolbarItem>
        <ToolbarItem>
          <FormSelect
            aria-label="Group by"
            value={filters.group ?? ''}
            onChange={(_event, value) =>
              navigate(
                `issues${searchOf({ ...filters, group: GROUPINGS.find((g) => g === value) })}`,
              )
            }
          >
            <FormSelectOption value="" label="No grouping" />
            <FormSelectOption value="component" label="Group by component" />
            <FormSelectOption value="application" label="Group by application" />
          </FormSelect>
        </ToolbarItem>
        {isFiltered(filters) && (
          <ToolbarItem>
            <Button variant="link" onClick={() => apply(cleared(filters))}>
              Clear filters
            </Button>
          </ToolbarItem>
        )}
      </ToolbarContent>
    </Toolbar>
  );
}
