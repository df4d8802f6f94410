# 088: address on Sender and Resent-From
require "fileinto";
if address :is ["sender", "resent-from"] "relay@example.org" { fileinto "Resent"; }
