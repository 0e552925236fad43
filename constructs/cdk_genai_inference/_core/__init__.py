"""What every capability uses: synth-time validation, the service model, ARNs, execution roles and the stack budget."""
