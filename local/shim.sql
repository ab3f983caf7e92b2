-- LOCAL ONLY — never shipped, never in supabase/migrations/.
-- Recreates, before any migration runs, what a hosted Supabase database already has: the API roles,
-- the `extensions` schema, the `auth` helpers and Supabase's default grants on `public`.
-- Run as superuser by scripts/stack.sh on every `up`; idempotent. pg_cron is left to a migration.
set client_min_messages = warning;

do $$
begin
    if not exists (select from pg_roles where rolname = 'anon') then
        create role anon nologin noinherit;
    end if;
    if not exists (select from pg_roles where rolname = 'authenticated') then
        create role authenticated nologin noinherit;
    end if;
    if not exists (select from pg_roles where rolname = 'service_role') then
        create role service_role nologin noinherit bypassrls;
    end if;
    -- PostgREST logs in as authenticator, then `set role` to the JWT's role.
    if not exists (select from pg_roles where rolname = 'authenticator') then
        create role authenticator login noinherit;
    end if;
    -- Hosted: the platform's superuser. Here it only has to exist (owner, grant target).
    if not exists (select from pg_roles where rolname = 'supabase_admin') then
        create role supabase_admin nologin superuser createdb createrole replication bypassrls;
    end if;
end
$$;

-- One role per grant: sqlfluff cannot parse the multi-role form.
grant anon to authenticator;
grant authenticated to authenticator;
grant service_role to authenticator;

create schema if not exists extensions;
grant usage on schema extensions to anon, authenticated, service_role;
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;
-- Local only, for the pgTAP suite and `plpgsql_check` lint (not on hosted projects).
create extension if not exists pgtap with schema extensions;
create extension if not exists plpgsql_check with schema extensions;
alter database postgres set search_path = "$user", public, extensions;

-- GoTrue's helpers: PostgREST puts the JWT claims in `request.jwt.claims`; the single-claim
-- settings are the pre-PostgREST-9 form that hosted bodies still read first.
create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

create or replace function auth.uid() returns uuid language sql stable as $$
    select coalesce(
        nullif(current_setting('request.jwt.claim.sub', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
    )::uuid
$$;

create or replace function auth.role() returns text language sql stable as $$
    select coalesce(
        nullif(current_setting('request.jwt.claim.role', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
    )::text
$$;

create or replace function auth.jwt() returns jsonb language sql stable as $$
    select coalesce(
        nullif(current_setting('request.jwt.claim', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')
    )::jsonb
$$;

comment on function auth.uid() is 'Deprecated. Use auth.jwt() -> ''sub'' instead.';
comment on function auth.role() is 'Deprecated. Use auth.jwt() -> ''role'' instead.';

-- Hosted projects expose `public` to the API roles by default; migrations must not rely on
-- these grants being absent (revoke them, or keep tables out of `public`).
grant usage on schema public to anon, authenticated, service_role;
alter default privileges for role postgres in schema public
grant all on tables to anon, authenticated, service_role;
alter default privileges for role postgres in schema public
grant all on functions to anon, authenticated, service_role;
alter default privileges for role postgres in schema public
grant all on sequences to anon, authenticated, service_role;
