begin;
select plan(2);

-- Every plpgsql function in the project's schemas, checked against the table it is a
-- trigger on (plpgsql_check needs the relation to resolve NEW and OLD, and the names of its
-- transition tables).
create temporary view plpgsql_findings as
select p.oid::regprocedure::text as function_name, f.lineno, f.message
from pg_proc as p
join pg_namespace as n on n.oid = p.pronamespace
join pg_language as l on l.oid = p.prolang and l.lanname = 'plpgsql'
left join lateral (
  select t.tgrelid, t.tgnewtable, t.tgoldtable from pg_trigger as t where t.tgfoid = p.oid
  limit 1
) as trg on true
cross join lateral plpgsql_check_function_tb(
  p.oid, coalesce(trg.tgrelid, 0), newtable => trg.tgnewtable, oldtable => trg.tgoldtable
) as f
where n.nspname in ('walltrack', 'api');

-- The check must be able to fail: a broken function is seen.
create function walltrack.broken_on_purpose() returns integer
language plpgsql set search_path = '' as $$
begin
  return (select missing_column from walltrack.config);
end;
$$;
select isnt_empty(
  $$ select 1 from plpgsql_findings where function_name = 'walltrack.broken_on_purpose()' $$,
  'plpgsql_check finds an error planted on purpose'
);
drop function walltrack.broken_on_purpose();

select is_empty(
  $$ select * from plpgsql_findings $$, 'plpgsql_check reports nothing for any project function'
);

select * from finish();
rollback;
