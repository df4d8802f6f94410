# 299: vacation only for a condition
require "vacation";
if not exists "list-id" { vacation :days 1 "Personal reply."; }
