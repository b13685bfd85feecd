module fate-e2e.local/runcwrap

go 1.22
