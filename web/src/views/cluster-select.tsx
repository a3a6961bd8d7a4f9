/**
 * The cluster filter, on a server with member clusters (docs/multi-cluster.md): one
 * cluster, or every cluster. A server of one cluster shows nothing.
 */
import { FormSelect, FormSelectOption } from '@patternfly/react-core';
import { useQuery } from '@tanstack/react-query';
import { kite } from '../api.js';

export function useClusters(): string[] {
  const clusters = useQuery({
    queryKey: ['clusters'],
    queryFn: () => kite.clusters(),
    staleTime: Infinity,
  });
  return clusters.data?.clusters ?? [];
}

export function ClusterSelect({
  chosen,
  onChange,
}: {
  chosen: string | undefined;
  onChange: (cluster: string | undefined) => void;
}) {
  const clusters = useClusters();
  if (clusters.length < 2) return null;
  return (
    <FormSelect
      aria-label="Cluster"
      value={chosen ?? ''}
      onChange={(_event, value) => onChange(clusters.find((c) => c === value))}
    >
      <FormSelectOption value="" label="Every cluster" />
      {clusters.map((cluster) => (
        <FormSelectOption key={cluster} value={cluster} label={cluster} />
      ))}
    </FormSelect>
  );
}
