// UFServer: placeholder until its issue lands.
