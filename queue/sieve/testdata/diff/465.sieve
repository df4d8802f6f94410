# 465: exists on header with different case in the message
require "fileinto";
if exists "message-id" { fileinto "HasId"; }
