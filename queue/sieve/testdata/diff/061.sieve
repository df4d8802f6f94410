# 061: header on repeated fields: any occurrence matches
require "fileinto";
if header :contains "received" "c.example by" { fileinto "Second"; }
