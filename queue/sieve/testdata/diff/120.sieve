# 120: not exists
require "fileinto";
if not exists "list-id" { fileinto "Personal"; }
