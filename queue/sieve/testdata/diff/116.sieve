# 116: exists one header
require "fileinto";
if exists "subject" { fileinto "Yes"; }
