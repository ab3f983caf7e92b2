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

-- Hosted Supabase's pg_net and Vault, as far as the production schedules use them
-- (`walltrack deploy` writes them, tests/py/test_deploy.py applies them here): net.http_post
-- records the request in net.local_requests instead of sending it; Vault keeps its secrets
-- unencrypted, in a schema only the superuser and service_role read.
create schema if not exists net;
create table if not exists net.local_requests (
    id bigint generated always as identity primary key,
    url text not null,
    body jsonb,
    params jsonb,
    headers jsonb,
    timeout_milliseconds integer,
    created_at timestamptz not null default now()
);
create or replace function net.http_post(
    url text,
    body jsonb default '{}'::jsonb,
    params jsonb default '{}'::jsonb,
    headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
    timeout_milliseconds integer default 5000
) returns bigint language sql as $$
    insert into net.local_requests (url, body, params, headers, timeout_milliseconds)
    values (url, body, params, headers, timeout_milliseconds)
    returning id;
$$;

create schema if not exists vault;
create table if not exists vault.secrets (
    id uuid primary key default gen_random_uuid(),
    name text unique,
    description text not null default '',
    secret text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create or replace view vault.decrypted_secrets as
select s.id, s.name, s.description, s.secret, s.secret as decrypted_secret, s.created_at,
    s.updated_at
from vault.secrets as s;
create or replace function vault.create_secret(
    new_secret text, new_name text default null, new_description text default '',
    new_key_id uuid default null
) returns uuid language sql as $$
    insert into vault.secrets (secret, name, description)
    values (new_secret, new_name, coalesce(new_description, ''))
    returning id;
$$;
create or replace function vault.update_secret(
    secret_id uuid, new_secret text default null, new_name text default null,
    new_description text default null, new_key_id uuid default null
) returns void language sql as $$
    update vault.secrets
    set secret = coalesce(new_secret, secret), name = coalesce(new_name, name),
        description = coalesce(new_description, description), updated_at = now()
    where id = secret_id;
$$;
revoke all on schema net, vault from public;
