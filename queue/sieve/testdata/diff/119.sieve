# 119: exists on an empty header
require "fileinto";
if exists "x-empty" { fileinto "Yes"; } else { fileinto "No"; }
